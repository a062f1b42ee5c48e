package boot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// connectThrough opens one connection of db's user through PgBouncer with
// pgx v5.7.6 as DittoFS v0.29.0 has it (gorm's postgres driver and
// golang-migrate sit on it), in pgx's default mode: every query is
// prepared once per connection under a name derived from its text, and
// the prepared statement is cached on that connection.
func connectThrough(ctx context.Context, t *testing.T, pg *realdfs.PGServer, pgb *realdfs.PgBouncer, db realdfs.PGDatabase) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=%s user=%s sslmode=verify-full sslrootcert=%s",
		pgb.Port, db.Name, db.User, pg.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = db.Password
	if cfg.DefaultQueryExecMode != pgx.QueryExecModeCacheStatement {
		t.Fatalf("pgx's default mode is %v, not the statement cache this test is about", cfg.DefaultQueryExecMode)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.WithoutCancel(ctx)) }) // ctx is cancelled by then
	return conn
}

// TestWhySessionPooling is why the function composes PgBouncer with
// pool_mode session: in transaction mode PgBouncer hands one server
// connection to whichever client runs the next transaction, and what
// DittoFS keeps on its connection crosses over to another client.
//
//   - Prepared statements: pgx names them after the query text, so two
//     DittoFS connections running the same query collide on a shared server
//     connection ("prepared statement ... already exists"). PgBouncer 1.21
//     and later can track protocol-level prepared statements in transaction
//     mode (max_prepared_statements); Debian's 1.18 here cannot, and the
//     advisory lock below breaks in every version.
//   - Session advisory locks: golang-migrate (the migrations of DittoFS's
//     PostgreSQL metadata store) takes pg_advisory_lock for the duration of
//     a migration. Through transaction pooling a second client lands on the
//     lock holder's server session and "acquires" the same lock, so two
//     migrations could run at once.
//
// In session mode each client keeps its own server connection, so both
// behave as on PostgreSQL directly.
func TestWhySessionPooling(t *testing.T) {
	skipShort(t)
	pg := realdfs.StartPostgres(t)
	for _, mode := range []string{"session", "transaction"} {
		t.Run(mode, func(t *testing.T) {
			db := pg.CreateDatabase(t, "pool_"+mode, "dittofs")
			pgb := realdfs.StartPgBouncer(t, pg, realdfs.PgBouncerOptions{PoolMode: mode, DefaultPoolSize: 2})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			a := connectThrough(ctx, t, pg, pgb, db)
			b := connectThrough(ctx, t, pg, pgb, db)

			const query = "select count(*) from pg_class where relkind = $1"
			var n int
			if err := a.QueryRow(ctx, query, "r").Scan(&n); err != nil {
				t.Fatalf("client A: %v", err)
			}
			errB := b.QueryRow(ctx, query, "r").Scan(&n)

			var locked, stolen bool
			if err := a.QueryRow(ctx, "select pg_advisory_lock(42) is not null").Scan(&locked); err != nil {
				t.Fatalf("client A's advisory lock: %v", err)
			}
			if err := b.QueryRow(ctx, "select pg_try_advisory_lock(42)").Scan(&stolen); err != nil {
				t.Fatalf("client B's try: %v", err)
			}
			t.Logf("%s pooling: client B's query: %v; client B got client A's advisory lock: %v", mode, errB, stolen)

			switch mode {
			case "session":
				if errB != nil {
					t.Errorf("session pooling: the same query on a second connection failed: %v", errB)
				}
				if stolen {
					t.Error("session pooling: a second client acquired the advisory lock the first holds")
				}
			case "transaction":
				if errB == nil || !strings.Contains(errB.Error(), "already exists") {
					t.Errorf("transaction pooling: want the second connection's prepared statement to collide (42P05), got %v", errB)
				}
				if !stolen {
					t.Error("transaction pooling: want the second client to land on the lock holder's session and get its lock")
				}
			}
		})
	}
}
