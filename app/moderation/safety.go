package moderation

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// wordCache keeps the watched words read at a generation of
// Options.Words; every write checks its text against them.
type wordCache struct {
	mu    sync.Mutex
	ok    bool
	gen   uint64
	words []safety.Word
	// forgot counts this instance's own changes: a read that began
	// before one is not kept.
	forgot uint64
}

// Words loads the watched words: from the cache while no change was
// signalled (migration 00052's trigger on watched_words, heard by every
// instance's live hub), from PostgreSQL otherwise. Callers must not
// change the slice.
func (s *Safety) Words(ctx context.Context) ([]safety.Word, error) {
	var gen uint64
	keep := false
	if s.opts.Words != nil {
		// Read before the query: a change signalled meanwhile moves the
		// generation on and the next call reads again.
		gen, keep = s.opts.Words.WordsVersion()
	}
	var forgot uint64
	if keep {
		s.words.mu.Lock()
		if s.words.ok && s.words.gen == gen {
			w := s.words.words
			s.words.mu.Unlock()
			return w, nil
		}
		forgot = s.words.forgot
		s.words.mu.Unlock()
	}
	var out []safety.Word
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, pattern, action FROM watched_words ORDER BY action, lower(pattern)`).Scan(&out).Error; err != nil {
		return nil, err
	}
	if keep {
		s.words.mu.Lock()
		if s.words.forgot == forgot {
			s.words.ok, s.words.gen, s.words.words = true, gen, out
		}
		s.words.mu.Unlock()
	}
	return out, nil
}

// forgetWords drops the kept words at once after this instance changed
// them (other instances hear the trigger's NOTIFY).
func (s *Safety) forgetWords() {
	s.words.mu.Lock()
	s.words.ok, s.words.words = false, nil
	s.words.forgot++
	s.words.mu.Unlock()
}

// Check runs the watched words and the personal-data check over text.
func (s *Safety) Check(ctx context.Context, text string) (safety.Result, error) {
	words, err := s.Words(ctx)
	if err != nil {
		return safety.Result{}, fmt.Errorf("moderation: watched words: %w", err)
	}
	return safety.Check(text, words), nil
}

// SystemReport files a report by Kindred itself inside the write's
// transaction: a flagged word or content waiting for approval (crisis
// language goes through FileCrisis). System reports never hide content.
func (s *Safety) SystemReport(ctx context.Context, tx *database.Tx, kind string, id int64, forumID *int64, reason models.ReportReason, note string) error {
	r := &models.Report{TargetKind: kind, TargetID: id, ForumID: forumID, Reason: reason, Note: note, Weight: 0, Status: models.ReportOpen, CreatedAt: s.now().UTC()}
	if err := tx.Omit("ID", "ReporterID").Create(r).Error; err != nil {
		return fmt.Errorf("moderation: system report: %w", err)
	}
	return nil
}

// SaveWord adds a watched word (admins).
func (s *Service) SaveWord(ctx context.Context, actor models.Actor, pattern, action string) error {
	admin := actor.User
	if err := adminOnly(actor); err != nil {
		return err
	}
	pattern = strings.Join(strings.Fields(pattern), " ")
	v := models.NewValidationError()
	if n := len([]rune(pattern)); n < 2 || n > 100 || len(safety.Tokens(pattern)) == 0 {
		v.Add("pattern", "Enter a word or phrase of 2 to 100 characters.")
	}
	known := false
	for _, a := range safety.Actions {
		known = known || a == action
	}
	if !known {
		v.Add("action", "Choose what happens to text with this word.")
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	defer s.forgetWords()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		res := tx.Exec(`INSERT INTO watched_words (pattern, action, created_by) VALUES (?, ?, ?) ON CONFLICT (lower(pattern)) DO UPDATE SET action = excluded.action`,
			pattern, action, admin.ID)
		if res.Error != nil {
			return res.Error
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "watched_word.save", TargetKind: "watched_word", Reason: pattern + ": " + action})
	})
}

// DeleteWord removes a watched word (admins).
func (s *Service) DeleteWord(ctx context.Context, actor models.Actor, id int64) error {
	admin := actor.User
	if err := adminOnly(actor); err != nil {
		return err
	}
	defer s.forgetWords()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var w safety.Word
		if err := tx.Raw(`DELETE FROM watched_words WHERE id = ? RETURNING id, pattern, action`, id).Scan(&w).Error; err != nil {
			return err
		}
		if w.ID == 0 {
			return models.ErrNotFound
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "watched_word.delete", TargetKind: "watched_word", TargetID: &id,
			Reason: w.Pattern + ": " + w.Action})
	})
}
