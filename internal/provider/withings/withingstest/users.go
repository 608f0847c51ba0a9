package withingstest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"
)

// User is an emulated Withings account.
type User struct {
	// ID is the Withings userid, normally digits.
	ID string
	// Location is the user's time zone, which decides their days; default
	// UTC.
	Location *time.Location
}

// user is a User with the data added or generated from Go.
type user struct {
	User
	hash    uint64
	devices map[string]string // device key → 40-hex device id
	groups  []MeasureGroup    // added measure groups
	hearts  []heartRecord     // added ECG recordings
	nights  map[string]night  // added nights by wake day
	// activeUntil extends the activity of a day past the history.
	activeUntil map[string]time.Time
	// deleted are measure groups the user deleted in the app.
	deleted map[int64]bool
}

// deviceModel is one device in every emulated user's household; the set
// covers the unit variations of real data (BP in mmHg with unit 0 from the
// BPM Core and unit -2 from the BPM Connect, SpO2 with unit 0 and -2).
type deviceModel struct {
	key, model, typ string
	modelID         int
}

var household = []deviceModel{
	{"scale", "Body Cardio", "Scale", 6},
	{"bpm", "BPM Connect", "Blood Pressure Monitor", 45},
	{"bpmcore", "BPM Core", "Blood Pressure Monitor", 44},
	{"watch", "ScanWatch", "Activity Tracker", 93},
	{"sleep", "Aura Sensor V2", "Sleep Monitor", 63},
	{"thermo", "Thermo", "Smart Connected Thermometer", 70},
}

func modelOf(key string) deviceModel {
	for _, m := range household {
		if m.key == key {
			return m
		}
	}
	return deviceModel{}
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
	nu := &user{User: u, hash: h.Sum64(), devices: map[string]string{},
		nights: map[string]night{}, activeUntil: map[string]time.Time{}, deleted: map[int64]bool{}}
	for _, m := range household {
		sum := sha1.Sum(fmt.Appendf(nil, "%d/%s/%s", s.cfg.Seed, u.ID, m.key))
		nu.devices[m.key] = hex.EncodeToString(sum[:])
	}
	s.users[u.ID] = nu
	if s.consentUser == "" {
		s.consentUser = u.ID
	}
}

// errUnknownUser is returned by the Go methods for a user never added.
var errUnknownUser = errors.New("withingstest: unknown user")

// MeasureGroup is one getmeas measure group. DeviceID "" is sent as null,
// as Withings does for manual entries (Attrib 2).
type MeasureGroup struct {
	GrpID    int64 // 0: assigned by AddMeasure
	Attrib   int
	Date     time.Time
	Created  time.Time // zero: the emulator's now
	Category int       // 0: 1 (real measure)
	DeviceID string
	ModelID  int
	Model    string
	Measures []Measure
}

// Measure is one value of a group: the real value is Value × 10^Unit.
type Measure struct {
	Value int64
	Type  int
	Unit  int
}

// AddMeasure stores a measure group for the user, visible to getmeas at
// once; it sends no notification (GenerateNew does).
func (s *Server) AddMeasure(userID string, g MeasureGroup) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return errUnknownUser
	}
	s.addGroupLocked(u, g)
	return nil
}

func (s *Server) addGroupLocked(u *user, g MeasureGroup) {
	s.seq++
	if g.GrpID == 0 {
		g.GrpID = 9_000_000_000 + int64(s.seq)
	}
	if g.Created.IsZero() {
		g.Created = s.cfg.Now()
	}
	if g.Category == 0 {
		g.Category = 1
	}
	u.groups = append(u.groups, g)
}

// rng returns the deterministic random source of one user, day and kind of
// data.
func (s *Server) rng(u *user, day int64, kind uint64) *rand.Rand {
	return rand.New(rand.NewPCG(s.cfg.Seed^u.hash, uint64(day)<<8|kind))
}

// dayNumber numbers the user's local day of t (days since 1970-01-01).
func dayNumber(t time.Time, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// dayStart returns local midnight of day number n.
func dayStart(n int64, loc *time.Location) time.Time {
	y, m, d := time.Unix(n*86400, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// inHistory reports whether the generated history covers local day n: its
// noon lies in [HistoryStart, HistoryEnd).
func (s *Server) inHistory(u *user, n int64) bool {
	noon := dayStart(n, u.Location).Add(12 * time.Hour)
	return !noon.Before(s.cfg.HistoryStart) && noon.Before(s.cfg.HistoryEnd)
}

// historyDays returns the user's local day numbers of generated history
// that overlap [from, to].
func (s *Server) historyDays(u *user, from, to time.Time) []int64 {
	from = latest(from, s.cfg.HistoryStart.Add(-24*time.Hour))
	to = earliest(to, s.cfg.HistoryEnd.Add(24*time.Hour))
	var days []int64
	for n := dayNumber(from, u.Location); n <= dayNumber(to, u.Location) && !to.Before(from); n++ {
		if s.inHistory(u, n) {
			days = append(days, n)
		}
	}
	return days
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// DeleteMeasure deletes a measure group, as a user does in the Withings
// app, and notifies the subscribers of appli with the group's date as the
// window, as Withings announces any change to measures.
func (s *Server) DeleteMeasure(ctx context.Context, userID string, grpID int64, date time.Time, appli int) error {
	s.mu.Lock()
	u := s.users[userID]
	if u != nil {
		u.deleted[grpID] = true
	}
	s.mu.Unlock()
	if u == nil {
		return errUnknownUser
	}
	ts := strconv.FormatInt(date.Unix(), 10)
	return s.SendNotification(ctx, userID, appli, url.Values{"startdate": {ts}, "enddate": {ts}})
}
