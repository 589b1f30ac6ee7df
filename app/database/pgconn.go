package database

import "github.com/jackc/pgx/v5/pgconn"

type (
	pgconnStatementDescription = pgconn.StatementDescription
	pgconnCommandTag           = pgconn.CommandTag
)
