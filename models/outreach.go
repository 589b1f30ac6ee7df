package models

// Notification kinds of e-mailed announcements (app/outreach writes them
// through notify.NotifyAnnouncement). An urgent health alert is sent at
// once even to members who chose a summary.
const (
	NotifyAnnouncement       = "announcement"
	NotifyAnnouncementUrgent = "announcement_urgent"
)
