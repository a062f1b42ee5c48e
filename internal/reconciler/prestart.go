package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dittofs/function-dittofs/internal/declared"
)

// Prestart points DittoFS's records of the declared postgres metadata
// stores on the server's own cluster (declared.PostgresStore.OnCluster) at
// the connection the declaration holds now. It writes DittoFS's
// control-plane database directly, before DittoFS starts: the reconciler's
// pre-start step, an init container after the wait for the database.
//
// Why not through the API, as everything else: DittoFS v0.29.0 opens every
// metadata store at start from its record (table metadata_stores, column
// config, the store's JSON) and does not start when one cannot be opened,
// and its API is up only once it started. A server restored into a new
// DittoServer holds the source's records, naming the source's cluster: it
// would open the source's metadata database, beside the source, or not
// start at all. A Percona password rotated while DittoFS was down is the
// same, with the old password.
//
// What it rewrites, and only that: the connection keys (host, port, user,
// password, sslmode) of a record whose database is the declared one (the
// same data, restored with the control plane; a record naming another
// database is a relocation, which the reconciler refuses and reports). A
// missing table (DittoFS never ran on this database) or record (the store
// is not created yet) is the reconciler's to create. The control-plane
// database is the one the cluster's user Secret names (dbname), on the
// same cluster.
//
// caFile, when set, is the cluster's CA: the step then connects with
// verify-full, as DittoFS reaches its own database, since what it sends is
// the store's password. Without it, with the store's sslmode (require by
// default), as DittoFS reaches the store. The records keep the store's
// sslmode either way: they say how DittoFS reaches the store.
func Prestart(ctx context.Context, c *declared.Config, caFile string, log *slog.Logger) error {
	// Read as the reconciler reads them (resolve), so both write the same.
	var r secretReader
	for i, m := range c.MetadataStores {
		pg := m.Postgres
		if pg == nil || !pg.OnCluster {
			continue
		}
		p := fmt.Sprintf("metadataStores[%d].postgres.secretDir", i)
		conn, problem := postgresConnection(pg, p, r.read)
		controlPlane := strings.TrimSpace(r.read(p, filepath.Join(pg.SecretDir, "dbname")))
		r.note(problem)
		if err := r.err(); err != nil {
			return err
		}
		if err := repointStore(ctx, m.Name, pg, conn, controlPlane, caFile, log); err != nil {
			return fmt.Errorf("metadata store %s: %w", m.Name, err)
		}
	}
	return nil
}

// connectionKeys are the keys of a postgres store's config that say how it
// is reached, as metadataConfig writes them; the rest (database, pool
// sizes, durability) stays as the record has it.
var connectionKeys = []string{"host", "port", "user", "password", "sslmode"}

// repointStore rewrites store name's record in the control-plane database
// to conn when it differs.
func repointStore(ctx context.Context, name string, pg *declared.PostgresStore, conn PostgresConnection, controlPlane, caFile string, log *slog.Logger) error {
	sslmode := pg.SSLMode
	if sslmode == "" {
		sslmode = "require"
	}
	tls := url.Values{"sslmode": {sslmode}}
	if caFile != "" {
		tls = url.Values{"sslmode": {"verify-full"}, "sslrootcert": {caFile}}
	}
	db, err := pgx.Connect(ctx, connString(conn, controlPlane, tls))
	if err != nil {
		return fmt.Errorf("connecting to DittoFS's database %s: %w", controlPlane, err)
	}
	defer func() { _ = db.Close(context.WithoutCancel(ctx)) }()
	var raw string
	err = db.QueryRow(ctx, `SELECT config FROM metadata_stores WHERE name = $1 AND type = 'postgres'`, name).Scan(&raw)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01", errors.Is(err, pgx.ErrNoRows):
		log.Info("pre-start: no record of the metadata store yet; the reconciler creates it", "store", name)
		return nil
	case err != nil:
		return fmt.Errorf("reading its record: %w", err)
	}
	cfg := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return fmt.Errorf("its record's config is not JSON: %w", err)
	}
	if got, _ := cfg["database"].(string); got != pg.Database {
		log.Warn("pre-start: the record names another database than the declared one: left as it is (the reconciler reports the relocation)", "store", name, "recorded", got, "declared", pg.Database)
		return nil
	}
	want := map[string]any{"host": conn.Host, "port": conn.Port, "user": conn.User, "password": conn.Password, "sslmode": sslmode}
	var changed []string
	for _, k := range connectionKeys {
		if !sameConfigValue(cfg[k], want[k]) {
			changed = append(changed, k)
			cfg[k] = want[k]
		}
	}
	if len(changed) == 0 {
		log.Info("pre-start: the metadata store's record is in step", "store", name)
		return nil
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if _, err := db.Exec(ctx, `UPDATE metadata_stores SET config = $1 WHERE name = $2 AND type = 'postgres'`, string(b), name); err != nil {
		return fmt.Errorf("rewriting its record: %w", err)
	}
	// Never the password: its key is named, not its value.
	log.Info("pre-start: the metadata store's record now names its database's connection", "store", name, "changed", changed,
		"to", net.JoinHostPort(conn.Host, strconv.Itoa(conn.Port)), "database", pg.Database)
	return nil
}

// sameConfigValue compares a recorded config value (JSON: numbers are
// float64) with a wanted one.
func sameConfigValue(recorded, want any) bool {
	if n, ok := want.(int); ok {
		f, isNumber := recorded.(float64)
		return isNumber && f == float64(n)
	}
	return recorded == want
}

// connString is a libpq URL for conn's database db, with the TLS
// parameters tls (sslmode, sslrootcert).
func connString(conn PostgresConnection, db string, tls url.Values) string {
	u := url.URL{
		Scheme: "postgres", User: url.UserPassword(conn.User, conn.Password),
		Host: net.JoinHostPort(conn.Host, strconv.Itoa(conn.Port)), Path: "/" + db,
		RawQuery: tls.Encode(),
	}
	return u.String()
}
