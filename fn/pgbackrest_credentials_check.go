package fn

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// The options a pgBackRest *.conf needs to authenticate repo1 to S3 with
// keys, and the one that says it authenticates otherwise.
const (
	optionS3Key       = spec.PGBackRestRepo + "-s3-key"
	optionS3KeySecret = spec.PGBackRestRepo + "-s3-key-secret"
	optionS3KeyType   = spec.PGBackRestRepo + "-s3-key-type"
)

// credentialValueProblem says what is wrong with a plain S3 key's value, or
// "" when nothing is. It never quotes the value. Surrounding whitespace (the
// newline `kubectl create secret --from-file` keeps) is trimmed before, as
// pgBackRestS3Conf does; anything else that is not text would end up in
// s3.conf: a CR or LF starts a line pgBackRest reads as an option of its
// own. Every other character is kept: providers' secret keys hold +, /, =
// and more.
func credentialValueProblem(v []byte) string {
	s := strings.TrimSpace(string(v))
	switch {
	case s == "":
		return "is empty"
	case !utf8.ValidString(s):
		return "is not UTF-8 text"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "holds " + controlName(r) + " inside its value, which would start a line of s3.conf of its own (pgBackRest reads such a line as another option); write the key without it (a trailing newline is fine: it is trimmed)"
		}
	}
	return ""
}

func controlName(r rune) string {
	switch r {
	case '\r':
		return "a carriage return (CR)"
	case '\n':
		return "a line feed (LF)"
	case '\t':
		return "a tab"
	}
	return fmt.Sprintf("the control character U+%04X", r)
}

// plainKeysProblem checks the two values of a key pair of the Secret
// ns/name, naming the Secret and each bad key, never a value.
func plainKeysProblem(ns, name string, pair [2]string, data map[string][]byte) string {
	var bad []string
	for _, key := range pair {
		if p := credentialValueProblem(data[key]); p != "" {
			bad = append(bad, "key "+key+" "+p)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("the S3 credentials Secret %s/%s cannot become pgBackRest's s3.conf: %s", ns, name, strings.Join(bad, "; "))
}

// confKeys are the Secret's keys pgBackRest loads (it reads conf.d/*.conf),
// sorted.
func confKeys(data map[string][]byte) []string {
	var keys []string
	for k := range data {
		if strings.HasSuffix(k, ".conf") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// confMissingKeysWarning warns when the *.conf files of the Secret ns/name
// do not, between them, set repo1-s3-key and repo1-s3-key-secret, the
// options pgBackRest authenticates to S3 with (unless repo1-s3-key-type
// says it uses a web identity, a pod identity or the instance's role). The
// Secret is still projected as it is: it is the user's.
func confMissingKeysWarning(ns, name string, data map[string][]byte, keys []string) string {
	set := map[string]string{}
	for _, k := range keys {
		for opt, v := range confOptions(data[k]) {
			set[opt] = v
		}
	}
	if t, ok := set[optionS3KeyType]; ok && t != "shared" {
		return ""
	}
	var missing []string
	for _, opt := range []string{optionS3Key, optionS3KeySecret} {
		if _, ok := set[opt]; !ok {
			missing = append(missing, opt)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("the S3 credentials Secret %s/%s does not set %s in %s: pgBackRest authenticates to S3 with %s and %s (repo index 1: the cluster's only repository is repo1), unless %s says otherwise (web-id, pod-id or auto). It is projected as it is",
		ns, name, strings.Join(missing, " and "), strings.Join(keys, ", "), optionS3Key, optionS3KeySecret, optionS3KeyType)
}

// confOptions are the options an INI file sets, in any section, with their
// values: name=value lines, comments (#) and section headers skipped.
func confOptions(conf []byte) map[string]string {
	opts := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(conf))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		if opt, v, ok := strings.Cut(line, "="); ok {
			opts[strings.TrimSpace(opt)] = strings.TrimSpace(v)
		}
	}
	return opts
}
