// Package audit appends to the audit log. The table refuses updates and
// deletes (a trigger), so a record, once written, stays.
package audit

import (
	"context"
	"fmt"

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
