package reconciler

import (
	"errors"
	"fmt"

	"github.com/marmos91/dittofs/pkg/apiclient"

	"github.com/dittofs/function-dittofs/internal/declared"
)

// isNotFound reports a 404 from DittoFS.
func isNotFound(err error) bool {
	var apiErr *apiclient.APIError
	return errors.As(err, &apiErr) && apiErr.IsNotFound()
}

// observe reads everything the plan compares: the stores, shares (with NFS
// config and permissions), users, groups and snapshot policies. Read-only.
func observe(c *apiclient.Client) (*Observed, error) {
	o := &Observed{
		MetadataStores: map[string]apiclient.MetadataStore{},
		BlockStores:    map[string]apiclient.BlockStore{},
		Shares:         map[string]ObservedShare{},
		Users:          map[string]apiclient.User{},
		Groups:         map[string]apiclient.Group{},
		Policies:       map[string]apiclient.SnapshotPolicy{},
		PasswordStale:  map[string]bool{},
	}
	metas, err := c.ListMetadataStores()
	if err != nil {
		return nil, fmt.Errorf("list metadata stores: %w", err)
	}
	for _, m := range metas {
		o.MetadataStores[m.Name] = m
	}
	for _, kind := range []string{declared.KindLocal, declared.KindRemote} {
		blocks, err := c.ListBlockStores(kind)
		if err != nil {
			return nil, fmt.Errorf("list %s block stores: %w", kind, err)
		}
		for _, b := range blocks {
			if b.Kind == "" {
				b.Kind = kind
			}
			o.BlockStores[blockKey(kind, b.Name)] = b
		}
	}
	shares, err := c.ListShares()
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	for _, s := range shares {
		os := ObservedShare{Share: s}
		if os.NFS, err = c.GetShareNFSConfig(s.Name); err != nil && !isNotFound(err) {
			return nil, fmt.Errorf("get NFS config of share %s: %w", s.Name, err)
		}
		if os.Permissions, err = c.ListSharePermissions(s.Name); err != nil {
			return nil, fmt.Errorf("list permissions of share %s: %w", s.Name, err)
		}
		o.Shares[s.Name] = os
	}
	users, err := c.ListUsers()
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	for _, u := range users {
		o.Users[u.Username] = u
	}
	groups, err := c.ListGroups()
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	for _, g := range groups {
		o.Groups[g.Name] = g
	}
	policies, err := c.ListSnapshotPolicies()
	if err != nil {
		return nil, fmt.Errorf("list snapshot policies: %w", err)
	}
	for _, p := range policies {
		o.Policies["/"+trimSlash(p.Share)] = p
	}
	return o, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}

// readLedger reads the Ledger setting (none yet: an empty Ledger).
func readLedger(c *apiclient.Client) (*Ledger, error) {
	s, err := c.GetSetting(LedgerSetting)
	if isNotFound(err) {
		return &Ledger{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the ownership ledger (setting %s): %w", LedgerSetting, err)
	}
	l, err := decodeLedger(s.Value)
	if err != nil {
		return nil, fmt.Errorf("the ownership ledger (setting %s) does not decode; fix or delete it: %w", LedgerSetting, err)
	}
	return l, nil
}
