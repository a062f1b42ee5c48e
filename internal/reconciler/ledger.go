package reconciler

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// LedgerSetting is the DittoFS server setting (PUT /api/v1/settings/{key})
// holding the Ledger. It lives in DittoFS's control-plane database, beside
// the objects it lists: it survives restarts of both processes, and a
// restore of that database brings back objects and ownership together.
const LedgerSetting = "function-dittofs.declared.ledger"

// Ledger is what this reconciler created, so it deletes nothing else.
// Names are recorded before the object is created (a crash in between
// leaves a name whose object is created on the next pass, or pruned), and
// dropped once the object is gone.
type Ledger struct {
	Version          int      `json:"version"`
	MetadataStores   []string `json:"metadataStores,omitempty"`
	BlockStores      []string `json:"blockStores,omitempty"` // kind/name
	Shares           []string `json:"shares,omitempty"`
	Groups           []string `json:"groups,omitempty"`
	Users            []string `json:"users,omitempty"`
	SnapshotPolicies []string `json:"snapshotPolicies,omitempty"` // share names
	Permissions      []string `json:"permissions,omitempty"`      // share|user|name, share|group|name
	// Salt keys Fingerprints. DittoFS never returns a store's secrets (it
	// redacts them), so the reconciler remembers which secret it last wrote
	// as an HMAC of it under this random salt: enough to see a rotation,
	// useless to recover the secret.
	Salt         string            `json:"salt,omitempty"`
	Fingerprints map[string]string `json:"fingerprints,omitempty"`
}

func permissionKey(share, typ, name string) string { return share + "|" + typ + "|" + name }

// has reports whether list holds name.
func has(list []string, name string) bool { return slices.Contains(list, name) }

// add puts name into list once, sorted (so the JSON is stable).
func add(list []string, name string) []string {
	if has(list, name) {
		return list
	}
	list = append(list, name)
	slices.Sort(list)
	return list
}

func remove(list []string, name string) []string {
	return slices.DeleteFunc(list, func(s string) bool { return s == name })
}

// Fingerprint is the HMAC-SHA256 of secret parts under the ledger's salt
// (made on first use).
func (l *Ledger) Fingerprint(parts ...string) string {
	if l.Salt == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		l.Salt = hex.EncodeToString(b)
	}
	m := hmac.New(sha256.New, []byte(l.Salt))
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}

// list returns the ledger's list for an object kind.
func (l *Ledger) list(kind string) *[]string {
	switch kind {
	case KindMetadataStore:
		return &l.MetadataStores
	case KindBlockStore:
		return &l.BlockStores
	case KindShare:
		return &l.Shares
	case KindGroup:
		return &l.Groups
	case KindUser:
		return &l.Users
	case KindSnapshotPolicy:
		return &l.SnapshotPolicies
	case KindPermission:
		return &l.Permissions
	}
	return nil
}

// Owns reports whether the reconciler created kind/name.
func (l *Ledger) Owns(kind, name string) bool {
	if p := l.list(kind); p != nil {
		return has(*p, name)
	}
	return false
}

func (l *Ledger) own(kind, name string) {
	if p := l.list(kind); p != nil {
		*p = add(*p, name)
	}
}

func (l *Ledger) disown(kind, name string) {
	if p := l.list(kind); p != nil {
		*p = remove(*p, name)
	}
	delete(l.Fingerprints, kind+"/"+name)
}

func (l *Ledger) encode() string {
	l.Version = 1
	b, err := json.Marshal(l)
	if err != nil {
		panic(err) // strings and a map of strings always encode
	}
	return string(b)
}

func decodeLedger(s string) (*Ledger, error) {
	l := &Ledger{}
	if s == "" {
		return l, nil
	}
	if err := json.Unmarshal([]byte(s), l); err != nil {
		return nil, err
	}
	return l, nil
}
