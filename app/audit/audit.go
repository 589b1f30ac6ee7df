// Package audit appends to the audit log. The table refuses updates and
// deletes (a trigger), so a record, once written, stays until the
// retention limit (Prune).
package audit

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// Record appends one event using db, which may be a transaction so that
// the record commits with the change it describes.
func Record(ctx context.Context, db *gorm.DB, e models.AuditEvent) error {
	if err := db.WithContext(ctx).Omit("ID", "CreatedAt").Create(&e).Error; err != nil {
		return fmt.Errorf("audit: %s: %w", e.Action, err)
	}
	return nil
}

// ForTarget lists the newest events about one target, newest first.
func ForTarget(ctx context.Context, db *gorm.DB, kind string, id int64, limit int) ([]models.AuditEvent, error) {
	var out []models.AuditEvent
	err := db.WithContext(ctx).Where("target_kind = ? AND target_id = ?", kind, id).Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// Prune is the retention limit of the audit log (run by app/privacy's daily
// job): events older than deleteBefore are deleted and the IP address of
// events older than ipBefore is blanked. Only this transaction may
// (SET LOCAL kindred.retention; migration 00033): every other change is
// still refused.
func Prune(ctx context.Context, db *gorm.DB, deleteBefore, ipBefore time.Time) (deleted, cleared int64, err error) {
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL kindred.retention = 'on'`).Error; err != nil {
			return err
		}
		res := tx.Exec(`DELETE FROM audit_events WHERE created_at < ?`, deleteBefore)
		if res.Error != nil {
			return res.Error
		}
		deleted = res.RowsAffected
		res = tx.Exec(`UPDATE audit_events SET ip = '' WHERE created_at < ? AND ip <> ''`, ipBefore)
		cleared = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, 0, fmt.Errorf("audit: prune: %w", err)
	}
	return deleted, cleared, nil
}
