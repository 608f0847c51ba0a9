package fitbittest

import (
	"errors"
	"hash/fnv"
	"slices"
	"time"
)

// User is an emulated Google account with a Google Health profile.
type User struct {
	// ID is the healthUserId, normally 19 decimal digits (§2.5); it appears
	// in resource names and the identity endpoint.
	ID string
	// LegacyID is the legacy Fitbit user id (6 characters); empty for a user
	// who never had a Fitbit account.
	LegacyID string
	// Location is the user's time zone, which decides civil times, UTC
	// offsets and days; default UTC.
	Location *time.Location
}

// user is a User with its generated data.
type user struct {
	User
	hash    uint64
	points  map[string][]*point // by data type, newest first, generated lazily
	deleted map[string]bool     // resource names deleted by the user
}

// AddUser adds an account that can consent and whose data the endpoints
// serve. The first user added is the one who consents on the authorize page
// until SetConsent says otherwise. Adding an existing id changes nothing.
func (s *Server) AddUser(u User) {
	if u.Location == nil {
		u.Location = time.UTC
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.users[u.ID]; exists {
		return
	}
	h := fnv.New64a()
	h.Write([]byte(u.ID))
	s.users[u.ID] = &user{User: u, hash: h.Sum64(), points: map[string][]*point{}, deleted: map[string]bool{}}
	if s.consentUser == "" {
		s.consentUser = u.ID
	}
}

// errUnknown is returned by the Go methods for a user or data type the
// emulator does not know.
var errUnknown = errors.New("fitbittest: unknown user, data type or data point")

// DeletePoint deletes a data point as the user would in the app: it stops
// being listed, with no tombstone (§7.4). name is the point's resource name
// (see PointNames; identifiable types also send it as "name").
func (s *Server) DeletePoint(userID, dataType, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return errUnknown
	}
	for _, p := range s.pointsLocked(u, dataType) {
		if p.name == name && !u.deleted[name] {
			u.deleted[name] = true
			return nil
		}
	}
	return errUnknown
}

// PointNames returns the resource names of the user's points of dataType
// whose time (sample time, interval start, sleep end, ECG reading; a daily
// point's date at 00:00 UTC) lies in [start, end), newest first. Points of
// non-identifiable types have names inside the emulator too, though the
// list does not send them, so that tests can delete any point.
func (s *Server) PointNames(userID, dataType string, start, end time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return nil
	}
	var out []string
	for _, p := range s.pointsLocked(u, dataType) {
		if !u.deleted[p.name] && !p.key.Before(start) && p.key.Before(end) {
			out = append(out, p.name)
		}
	}
	return out
}

// pointsLocked returns the user's generated points of dataType, newest
// first, deleted ones included.
func (s *Server) pointsLocked(u *user, dataType string) []*point {
	if ps, ok := u.points[dataType]; ok {
		return ps
	}
	ps := s.generate(u, dataType)
	slices.SortStableFunc(ps, func(a, b *point) int { return b.order.Compare(a.order) })
	u.points[dataType] = ps
	return ps
}
