package spec

// pgBackRestRepo is the one repository; every repo1-* option below and in the
// credentials file must use the same index.
const PGBackRestRepo = "repo1"
