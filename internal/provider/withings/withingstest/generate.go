package withingstest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"
)

// newMeasures are the generators GenerateNew uses for the measure applis.
var newMeasures = map[int]generator{
	1:  scaleSample,
	2:  thermoSample,
	4:  bpConnectSample,
	54: watchECGSample,
}

// eventDevices are the devices that send the event-only applis.
var eventDevices = map[int]string{46: "", 50: "sleep", 51: "sleep", 52: "sleep", 55: "watch"}

// GenerateNew makes new data of the kind appli announces, taken at at, as if
// a device had just synced, then notifies the user's subscribers of appli
// like Withings: 1 (weigh-in), 2 (temperature), 4 (blood pressure), 54
// (ECG) add measures; 16 extends the day's activity up to at; 44 adds a
// night ending at at; 46, 50, 51, 52 and 55 only notify. The data is
// deterministic in the seed, the user and at.
func (s *Server) GenerateNew(ctx context.Context, userID string, appli int, at time.Time) error {
	s.mu.Lock()
	u := s.users[userID]
	s.mu.Unlock()
	if u == nil {
		return errUnknownUser
	}
	r := rand.New(rand.NewPCG(s.cfg.Seed^u.hash, uint64(at.Unix())<<8|uint64(appli)))
	form := url.Values{}
	switch {
	case newMeasures[appli] != nil:
		s.addSample(u, newMeasures[appli](u, at, r))
		form.Set("startdate", unixText(at))
		form.Set("enddate", unixText(at))
	case appli == 16:
		s.extendActivity(u, at)
		form.Set("startdate", unixText(dayStart(dayNumber(at, u.Location), u.Location)))
		form.Set("enddate", unixText(at))
		form.Set("date", at.In(u.Location).Format("2006-01-02"))
	case appli == 44:
		nt := makeNight(r, at.Add(-7*time.Hour-time.Duration(r.IntN(90))*time.Minute), at)
		nt.created = latest(at, s.cfg.Now())
		s.mu.Lock()
		u.nights[dayKey(dayNumber(at, u.Location))] = nt
		s.mu.Unlock()
		form.Set("startdate", unixText(nt.start))
		form.Set("enddate", unixText(nt.end))
	default:
		key, isEvent := eventDevices[appli]
		if !isEvent {
			return fmt.Errorf("withingstest: cannot generate appli %d", appli)
		}
		form.Set("date", unixText(at))
		if key != "" {
			form.Set("deviceid", u.devices[key])
		}
		if appli == 46 {
			form.Set("action", "update")
		}
	}
	return s.SendNotification(ctx, userID, appli, form)
}

func (s *Server) addSample(u *user, smp sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range smp.groups {
		s.addGroupLocked(u, g)
	}
	for _, h := range smp.hearts {
		s.seq++
		h.SignalID = 9_000_000_000 + int64(s.seq)
		u.hearts = append(u.hearts, h)
	}
}

func (s *Server) extendActivity(u *user, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := dayKey(dayNumber(at, u.Location))
	if prev, found := u.activeUntil[key]; !found || at.After(prev) {
		u.activeUntil[key] = at
	}
}

func unixText(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
