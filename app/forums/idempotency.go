package forums

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// claimKey records an idempotency key inside tx with the fingerprint of
// the request it came with. When the key was used before for the same
// request, it returns the id of what the first request created; for a
// different request (another kind, place or text) it refuses with 422
// idempotency_key_reused rather than answering with the first result.
func claimKey(ctx context.Context, tx *gorm.DB, userID int64, key, kind, fingerprint string, now time.Time) (existing int64, err error) {
	if key == "" {
		return 0, nil
	}
	res := tx.WithContext(ctx).Exec(`INSERT INTO idempotency_keys (user_id, key, result_kind, request_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		userID, key, kind, fingerprint, now)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 1 {
		return 0, nil
	}
	return usedKey(ctx, tx, userID, key, kind, fingerprint)
}

// errKeyTaken says a write's idempotency key was claimed by an earlier
// request: the write rolls back and answers with usedKey.
var errKeyTaken = errors.New("forums: idempotency key already used")

// usedKey is what an idempotency key already claimed made: the id of the
// first request's result when the request is the same, 422
// idempotency_key_reused when it is not.
func usedKey(ctx context.Context, tx *gorm.DB, userID int64, key, kind, fingerprint string) (int64, error) {
	var row struct {
		ResultKind  string
		ResultID    *int64
		RequestHash *string
	}
	if err := tx.WithContext(ctx).Raw(`SELECT result_kind, result_id, request_hash FROM idempotency_keys WHERE user_id = ? AND key = ?`, userID, key).Scan(&row).Error; err != nil {
		return 0, err
	}
	// Keys stored before fingerprints were kept (request_hash NULL) are
	// judged by their kind alone.
	if row.ResultKind != kind || row.ResultID == nil || (row.RequestHash != nil && *row.RequestHash != fingerprint) {
		v := models.NewValidationError()
		v.Code = "idempotency_key_reused"
		v.Message = "That Idempotency-Key was already used for a different request."
		v.Add("idempotency_key", "Use a new key for a new request.")
		return 0, v
	}
	return *row.ResultID, nil
}

// requestFingerprint identifies what a write asks for: its kind, where
// (forum or thread id) and its checked form, so a key reused with
// another text is told apart from a retry.
func requestFingerprint(kind string, where int64, form any) string {
	js, err := json.Marshal(form)
	if err != nil {
		panic("forums: fingerprint: " + err.Error()) // plain structs always marshal
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", kind, where)
	h.Write(js)
	return hex.EncodeToString(h.Sum(nil))
}

func recordKey(ctx context.Context, tx *gorm.DB, userID int64, key string, id int64) error {
	if key == "" {
		return nil
	}
	return tx.WithContext(ctx).Exec(`UPDATE idempotency_keys SET result_id = ? WHERE user_id = ? AND key = ?`, id, userID, key).Error
}

func checkKey(key string) (string, error) {
	key = strings.TrimSpace(key)
	if key != "" && !validIdempotencyKey(key) {
		v := models.NewValidationError()
		v.Add("idempotency_key", "An idempotency key is 1 to 100 visible ASCII characters.")
		return "", v
	}
	return key, nil
}
