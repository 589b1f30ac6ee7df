package models

import "time"

// ExportStatus is where a member's data export stands.
type ExportStatus string

// Export statuses.
const (
	ExportQueued   ExportStatus = "queued"
	ExportBuilding ExportStatus = "building"
	ExportReady    ExportStatus = "ready"
	ExportFailed   ExportStatus = "failed"
	ExportExpired  ExportStatus = "expired"
)

// Export is one request of a member for a copy of their data (app/export).
// The archive is in the export store under ObjectKey; TokenHash is the
// HMAC of the e-mailed link's secret, never the secret.
type Export struct {
	ID           int64
	UserID       int64
	Status       ExportStatus
	Progress     int
	ObjectKey    *string
	Bytes        *int64
	TokenHash    []byte `json:"-"`
	Error        string
	CreatedAt    time.Time
	ReadyAt      *time.Time
	DownloadedAt *time.Time
	ExpiresAt    *time.Time
	DeletedAt    *time.Time
	// BuildingUntil is the builder's lease (see export.Build).
	BuildingUntil *time.Time `json:"-"`
}
