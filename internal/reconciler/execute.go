package reconciler

import (
	"fmt"
	"strings"

	"github.com/marmos91/dittofs/pkg/apiclient"
)

// executor performs a plan's actions through the client, keeps the Ledger
// in step (saved before a create, after a delete), and counts each write.
type executor struct {
	c      *apiclient.Client
	ledger *Ledger
	saved  string // the Ledger as DittoFS has it
	// wrote is called once per API write (metrics, tests).
	wrote func(kind, op string)
	log   func(msg string, args ...any)
}

// saveLedger writes the Ledger when it changed.
func (e *executor) saveLedger() error {
	enc := e.ledger.encode()
	if enc == e.saved {
		return nil
	}
	if _, err := e.c.SetSetting(LedgerSetting, enc); err != nil {
		return fmt.Errorf("save the ownership ledger: %w", err)
	}
	e.wrote("ledger", OpUpdate)
	e.saved = enc
	return nil
}

// ledgerKind is the Ledger list an action's object belongs to ("" for
// sub-objects the Ledger does not list).
func ledgerKind(a Action) string {
	switch a.Kind {
	case KindShareNFS, KindUserPassword:
		return ""
	}
	return a.Kind
}

// run executes one action. A create records ownership first; an update
// does not take ownership of a hand-made object.
func (e *executor) run(a Action) error {
	lk := ledgerKind(a)
	if a.Op == OpCreate && lk != "" {
		e.ledger.own(lk, a.Name)
		if err := e.saveLedger(); err != nil {
			return err
		}
	}
	if a.Note != Gone {
		if err := e.call(a); err != nil {
			if a.Op != OpDelete || !isNotFound(err) {
				return fmt.Errorf("%s: %w", a, err)
			}
		} else {
			e.wrote(a.Kind, a.Op)
			args := []string{"op", a.Op, "kind", a.Kind, "name", a.Name}
			if len(a.Changes) > 0 {
				args = append(args, "changed", strings.Join(a.Changes, ","))
			}
			if a.Note != "" {
				args = append(args, "note", a.Note)
			}
			e.log("applied", toAny(args)...)
		}
	}
	if a.Fingerprint != "" {
		if e.ledger.Fingerprints == nil {
			e.ledger.Fingerprints = map[string]string{}
		}
		e.ledger.Fingerprints[a.Kind+"/"+a.Name] = a.Fingerprint
	}
	if a.Op == OpDelete && lk != "" {
		e.ledger.disown(lk, a.Name)
	}
	return e.saveLedger()
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// call is the one API write of an action.
//
//nolint:forcetypeassert // Plan makes each kind's request of exactly the type asserted here (TestPlan compares them)
func (e *executor) call(a Action) error {
	c := e.c
	switch a.Kind {
	case KindMetadataStore:
		switch a.Op {
		case OpCreate:
			_, err := c.CreateMetadataStore(a.Request.(*apiclient.CreateStoreRequest))
			return err
		case OpUpdate:
			_, err := c.UpdateMetadataStore(a.Name, a.Request.(*apiclient.UpdateStoreRequest))
			return err
		case OpDelete:
			return c.RemoveMetadataStore(a.Name)
		}
	case KindBlockStore:
		kind, name, _ := strings.Cut(a.Name, "/")
		switch a.Op {
		case OpCreate:
			_, err := c.CreateBlockStore(kind, a.Request.(BlockStoreRequest).Create)
			return err
		case OpUpdate:
			_, err := c.UpdateBlockStore(kind, name, a.Request.(BlockStoreRequest).Update)
			return err
		case OpDelete:
			return c.RemoveBlockStore(kind, name)
		}
	case KindShare:
		switch a.Op {
		case OpCreate:
			_, err := c.CreateShare(a.Request.(*apiclient.CreateShareRequest))
			return err
		case OpUpdate:
			_, err := c.UpdateShare(a.Name, a.Request.(*apiclient.UpdateShareRequest))
			return err
		case OpDelete:
			return c.RemoveShare(a.Name)
		}
	case KindShareNFS:
		_, err := c.PatchShareNFSConfig(a.Name, a.Request.(*apiclient.PatchShareNFSConfigRequest))
		return err
	case KindPermission:
		if a.Op == OpDelete {
			parts := strings.SplitN(a.Name, "|", 3)
			if parts[1] == "group" {
				return c.RemoveGroupSharePermission(parts[0], parts[2])
			}
			return c.RemoveUserSharePermission(parts[0], parts[2])
		}
		r := a.Request.(PermissionRequest)
		if r.Type == "group" {
			return c.SetGroupSharePermission(r.Share, r.Name, r.Level)
		}
		return c.SetUserSharePermission(r.Share, r.Name, r.Level)
	case KindGroup:
		switch a.Op {
		case OpCreate:
			_, err := c.CreateGroup(a.Request.(*apiclient.CreateGroupRequest))
			return err
		case OpUpdate:
			_, err := c.UpdateGroup(a.Name, a.Request.(*apiclient.UpdateGroupRequest))
			return err
		case OpDelete:
			return c.RemoveGroup(a.Name)
		}
	case KindUser:
		switch a.Op {
		case OpCreate:
			_, err := c.CreateUser(a.Request.(*apiclient.CreateUserRequest))
			return err
		case OpUpdate:
			_, err := c.UpdateUser(a.Name, a.Request.(*apiclient.UpdateUserRequest))
			return err
		case OpDelete:
			return c.RemoveUser(a.Name)
		}
	case KindUserPassword:
		return c.ResetUserPassword(a.Name, a.Request.(PasswordRequest).Password)
	case KindSnapshotPolicy:
		if a.Op == OpDelete {
			return c.RemoveSnapshotPolicy(a.Name)
		}
		_, err := c.UpsertSnapshotPolicy(a.Name, a.Request.(apiclient.UpsertSnapshotPolicyRequest))
		return err
	}
	return fmt.Errorf("no API call for %s", a)
}
