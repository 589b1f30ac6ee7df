package models

import "time"

// Image is a picture a member uploaded for a post, as Kindred encoded it
// (JPEG or PNG, without metadata). The bytes are in the image store under
// Key.
type Image struct {
	ID          int64
	Key         string
	UploaderID  int64
	ForumID     int64
	Width       int
	Height      int
	Bytes       int64
	ContentType string
	CreatedAt   time.Time
}
