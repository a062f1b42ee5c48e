package fn

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// operatorBackupFields are the parts of spec.backups.pgbackrest the Percona
// operator writes itself (for every backup and restore); the function never
// composes them, so it must not take them over when it keeps the block.
var operatorBackupFields = []string{"manual", "restore"}

// keepObservedBackups replaces the desired cluster's spec.backups with the
// observed one, as it is: while the S3 credentials cannot be read, a
// rebuilt block would project a Secret that is not known (pgBackRest then
// cannot archive WAL, and pg_wal grows until the disk fills) or switch
// backups on without a repository. Read only here, and only this field.
func (c *composer) keepObservedBackups() {
	d := c.desired[keyPerconaCluster]
	spec := d.Resource.GetFields()["spec"].GetStructValue()
	observed := c.req.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource()
	backups := observed.GetFields()["spec"].GetStructValue().GetFields()["backups"].GetStructValue()
	if spec == nil || backups == nil {
		return
	}
	kept := proto.Clone(backups).(*structpb.Struct)
	if pgbr := kept.GetFields()["pgbackrest"].GetStructValue(); pgbr != nil {
		for _, f := range operatorBackupFields {
			delete(pgbr.GetFields(), f)
		}
	}
	spec.Fields["backups"] = structpb.NewStructValue(kept)
}
