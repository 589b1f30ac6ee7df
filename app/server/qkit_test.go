package server_test

import (
	"context"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

// clinician makes a verified clinician in specs who takes private
// questions (cap 5).
func (h *harness) clinician(handle string, specs ...string) *models.User {
	h.t.Helper()
	h.account(handle, models.RoleMember)
	u := h.user(handle)
	form := h.applicationForm("RN-1000", 300)
	form.Specialties = specs
	c, err := h.app.Clinicians.Apply(context.Background(), h.actor(u), form, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.app.Clinicians.Approve(context.Background(), h.actor(h.user(h.ensureAdmin())), c.ID, ""); err != nil {
		h.t.Fatal(err)
	}
	if err := h.app.Clinicians.SaveSettings(context.Background(), h.actor(u), clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 5}); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// ask queues a question for handle through the service.
func (h *harness) ask(handle, forum, title, body string) *models.Question {
	h.t.Helper()
	q, err := h.app.Questions.Ask(context.Background(), h.actor(h.user(handle)), questions.AskForm{Forum: forum, Title: title, Body: body})
	if err != nil {
		h.t.Fatal(err)
	}
	return q.Question
}

func (h *harness) question(id int64) models.Question {
	h.t.Helper()
	var q models.Question
	if err := h.app.DB.Gorm.First(&q, id).Error; err != nil {
		h.t.Fatal(err)
	}
	return q
}

// pendingOffer is the id of the question's pending offer.
func (h *harness) pendingOffer(questionID int64) int64 {
	h.t.Helper()
	var id int64
	h.app.DB.Gorm.Raw(`SELECT id FROM question_offers WHERE question_id = ? AND outcome = 'pending'`, questionID).Scan(&id)
	return id
}

func (h *harness) userByID(id int64) *models.User {
	h.t.Helper()
	var u models.User
	if err := h.app.DB.Gorm.First(&u, id).Error; err != nil {
		h.t.Fatal(err)
	}
	return &u
}
