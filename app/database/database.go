// Package database opens Kindred's PostgreSQL: one pgx pool shared by GORM
// and River, goose migrations followed by River's, and transactions in which
// River jobs commit or roll back together with GORM writes.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// Options tune the pool and the query log.
type Options struct {
	MaxConns  int32
	SlowQuery time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
	// ReplicaURL, when set, is a read-only copy of the database (a
	// streaming standby) that visitors' pages read from (see Visitor).
	ReplicaURL string
	// WarmConns connections are opened in the background as soon as the
	// pool exists (pgxpool's MinIdleConns), beside the first one: `serve`
	// needs several at once when it starts listening (the job queue, the
	// change listeners, the first requests), and a new PostgreSQL
	// connection takes some 20–25 ms to open.
	WarmConns int32
	// CheckTxConns makes a goroutine that asks the pool for a connection
	// while it is inside InTx fail with ErrConnInTx (tests set it). Such a
	// goroutine holds one connection and waits for another: with every
	// other connection held by writers waiting on its row locks, nothing
	// moves until a timeout (the mail sweep did this under load).
	CheckTxConns bool
}

// ErrConnInTx is what CheckTxConns reports: code inside a transaction
// used the pool (d.Gorm, d.Pool, another InTx) instead of its Tx.
var ErrConnInTx = errors.New("database: a second connection asked for inside a transaction; use the transaction instead")

// DB bundles the pool and the two clients that share it.
type DB struct {
	Pool *pgxpool.Pool
	// Replica is the pool of Options.ReplicaURL (nil without one).
	Replica *pgxpool.Pool
	SQL     *sql.DB
	Gorm    *gorm.DB
	River   *river.Client[pgx.Tx] // insert-only unless the caller starts workers on its own client

	statements atomic.Int64
	roundTrips atomic.Int64
	// inTx holds the goroutines inside InTx, with CheckTxConns.
	inTx *txGoroutines
}

// Statements counts the SQL statements sent to PostgreSQL through this DB's
// pool (GORM's and direct pgx alike), so tests can prove a page costs a
// fixed number of queries.
func (d *DB) Statements() int64 { return d.statements.Load() }

// RoundTrips counts the times a request waited for PostgreSQL: a statement
// on its own is one, a batch of statements sent together is one.
func (d *DB) RoundTrips() int64 { return d.roundTrips.Load() }

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string, o Options) (*DB, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: DATABASE_URL: %w", err)
	}
	if o.MaxConns > 0 {
		pcfg.MaxConns = o.MaxConns
	}
	pcfg.MaxConnIdleTime = 5 * time.Minute
	if o.WarmConns > 0 {
		pcfg.MinIdleConns = min(o.WarmConns, pcfg.MaxConns)
	}
	d := &DB{}
	pcfg.ConnConfig.Tracer = statementCounter{&d.statements, &d.roundTrips}
	if o.CheckTxConns {
		d.inTx = &txGoroutines{ids: map[uint64]int{}}
		pcfg.PrepareConn = func(context.Context, *pgx.Conn) (bool, error) {
			if d.inTx.has(goroutineID()) {
				return true, ErrConnInTx
			}
			return true, nil
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: cannot reach PostgreSQL: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return o.Now().UTC() },
		Logger:                 newGormLogger(o.Logger, o.SlowQuery),
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: gorm: %w", err)
	}
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: o.Logger, FetchCooldown: FetchCooldown})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: river: %w", err)
	}
	d.Pool, d.SQL, d.Gorm, d.River = pool, sqlDB, gdb, rc
	if o.ReplicaURL != "" {
		rcfg, err := pgxpool.ParseConfig(o.ReplicaURL)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("database: KINDRED_REPLICA_DATABASE_URL: %w", err)
		}
		rcfg.MaxConns = pcfg.MaxConns
		rcfg.MaxConnIdleTime = pcfg.MaxConnIdleTime
		rcfg.ConnConfig.Tracer = statementCounter{&d.statements, &d.roundTrips}
		// Never a write by mistake: every transaction on it is read-only.
		rcfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
		// A replica that is down at start is not fatal: visitors' reads
		// fall back to the primary until it answers.
		replica, err := pgxpool.NewWithConfig(ctx, rcfg)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("database: replica: %w", err)
		}
		d.Replica = replica
	}
	return d, nil
}

// Visitor runs a read for a signed-out visitor on the replica when there
// is one, and on the primary when there is none or the replica cannot be
// reached. Visitors see only public content, which may lag the primary by
// the replica's delay (usually well under a second); everything that
// writes, checks a permission for a member, or must see its own write
// uses Pool.
func (d *DB) Visitor(ctx context.Context, read func(*pgxpool.Pool) error) error {
	if d.Replica != nil {
		err := read(d.Replica)
		if err == nil || !ConnectionLost(err) {
			return err
		}
	}
	return read(d.Pool)
}

// Close releases every connection.
func (d *DB) Close() {
	_ = d.SQL.Close()
	d.Pool.Close()
	if d.Replica != nil {
		d.Replica.Close()
	}
}

// Tx is a GORM transaction that can also enqueue River jobs atomically.
type Tx struct {
	*gorm.DB
	pgxTx pgx.Tx
	river *river.Client[pgx.Tx]
}

// FetchCooldown is River's shortest pause between fetches; an inserting
// client also sends at most one "new job" notification per queue in that
// time, so it is kept short (River's default is 100 ms).
const FetchCooldown = 20 * time.Millisecond

// Pgx is the transaction's pgx handle, for a measured hot path (the search
// queue) that skips GORM.
func (t *Tx) Pgx() pgx.Tx { return t.pgxTx }

// Enqueue inserts a River job inside the transaction: it exists only if
// the transaction commits.
func (t *Tx) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := t.river.InsertTx(ctx, t.pgxTx, args, opts); err != nil {
		return fmt.Errorf("database: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// EnqueueMany inserts many River jobs inside the transaction in one round
// trip: they exist only if the transaction commits.
func (t *Tx) EnqueueMany(ctx context.Context, args []river.JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	if _, err := t.river.InsertManyTx(ctx, t.pgxTx, params); err != nil {
		return fmt.Errorf("database: enqueue %d %s jobs: %w", len(args), args[0].Kind(), err)
	}
	return nil
}

// InTx runs fn in one transaction on one pinned connection. GORM's *sql.Tx
// hides the pgx connection River needs, so the connection is pinned first
// and River is handed a thin pgx.Tx over the same connection.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return d.Gorm.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		sqlConn, ok := conn.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return errors.New("database: pinned connection is not *sql.Conn")
		}
		var pc *pgx.Conn
		if err := sqlConn.Raw(func(driverConn any) error {
			c, ok := driverConn.(*stdlib.Conn)
			if !ok {
				return errors.New("database: driver connection is not pgx")
			}
			pc = c.Conn()
			return nil
		}); err != nil {
			return err
		}
		if d.inTx != nil {
			// The connection is pinned: from here on, this goroutine
			// asking the pool for another is the mistake CheckTxConns finds.
			id := goroutineID()
			d.inTx.add(id)
			defer d.inTx.remove(id)
		}
		committing := false
		err := conn.Transaction(func(gtx *gorm.DB) error {
			err := fn(&Tx{DB: gtx, pgxTx: &connTx{conn: pc}, river: d.River})
			committing = err == nil
			return err
		})
		if err != nil && committing && ConnectionLost(err) {
			// COMMIT was sent and no answer came back: PostgreSQL may
			// have saved the transaction or not.
			return fmt.Errorf("%w (%v)", models.ErrOutcomeUnknown, err)
		}
		return err
	})
}

// connTx presents a connection that is already inside a transaction as a
// pgx.Tx. Commit and rollback of the outer transaction belong to GORM;
// nested Begin uses a savepoint.
type connTx struct {
	conn  *pgx.Conn
	depth int
}

func (t *connTx) Begin(ctx context.Context) (pgx.Tx, error) {
	n := &connTx{conn: t.conn, depth: t.depth + 1}
	if _, err := t.conn.Exec(ctx, fmt.Sprintf("SAVEPOINT river_sp_%d", n.depth)); err != nil {
		return nil, err
	}
	return n, nil
}

func (t *connTx) Commit(ctx context.Context) error {
	if t.depth == 0 {
		return nil
	}
	_, err := t.conn.Exec(ctx, fmt.Sprintf("RELEASE SAVEPOINT river_sp_%d", t.depth))
	return err
}

func (t *connTx) Rollback(ctx context.Context) error {
	if t.depth == 0 {
		return nil
	}
	_, err := t.conn.Exec(ctx, fmt.Sprintf("ROLLBACK TO SAVEPOINT river_sp_%d", t.depth))
	return err
}

func (t *connTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

// LargeObjects is never used by River; pgx offers no way to build one here.
func (t *connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *connTx) Prepare(ctx context.Context, name, sql string) (*pgconnStatementDescription, error) {
	return t.conn.Prepare(ctx, name, sql)
}

func (t *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconnCommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *connTx) Conn() *pgx.Conn { return t.conn }

// statementCounter is a pgx tracer that only counts.
type statementCounter struct{ n, trips *atomic.Int64 }

func (c statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.trips.Add(1)
	return ctx
}

func (statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Batched statements count one each, like single ones.
func (c statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.trips.Add(1)
	return ctx
}

func (c statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}

func (statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
