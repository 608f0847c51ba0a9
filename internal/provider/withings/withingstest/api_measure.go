package withingstest

import (
	"cmp"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// invalidParams is the answer to a request Withings would refuse.
func invalidParams(what string) reply { return fail(503, "Invalid Params: "+what) }

// formInt reads an integer parameter; present is false when it is absent.
func formInt(f url.Values, key string) (n int64, present bool, bad bool) {
	v := strings.TrimSpace(f.Get(key))
	if v == "" {
		return 0, false, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, true, err != nil
}

// formUnix reads a unix-seconds parameter.
func formUnix(f url.Values, key string) (time.Time, bool, bool) {
	n, present, bad := formInt(f, key)
	return time.Unix(n, 0), present, bad
}

// span is the time range a request asks for, from startdate/enddate or
// lastupdate; with neither it covers all time.
type span struct {
	from, to   time.Time
	lastUpdate time.Time
}

func readSpan(f url.Values) (span, bool) {
	start, hasStart, bad1 := formUnix(f, "startdate")
	end, hasEnd, bad2 := formUnix(f, "enddate")
	last, hasLast, bad3 := formUnix(f, "lastupdate")
	if bad1 || bad2 || bad3 || hasStart != hasEnd || (hasStart && end.Before(start)) {
		return span{}, false
	}
	sp := span{from: time.Unix(0, 0), to: time.Unix(1<<40, 0)}
	if hasStart {
		sp.from, sp.to = start, end
	}
	if hasLast {
		sp.lastUpdate = last
		sp.from = last.Add(-48 * time.Hour) // generated data is created within hours
	}
	return sp, true
}

// paginate cuts items at the offset parameter into one page.
func paginate[T any](s *Server, items []T, f url.Values) (page []T, more bool, next int, okOffset bool) {
	off, _, bad := formInt(f, "offset")
	if bad || off < 0 {
		return nil, false, 0, false
	}
	if int(off) >= len(items) {
		return []T{}, false, int(off), true
	}
	end := min(int(off)+s.cfg.PageSize, len(items))
	return items[off:end], end < len(items), end, true
}

// groupsOf returns the user's measure groups dated in sp, generated and
// added, newest first, as of the emulator's now.
func (s *Server) groupsOf(u *user, sp span) []MeasureGroup {
	now := s.cfg.Now()
	var all []MeasureGroup
	for _, n := range s.historyDays(u, sp.from, sp.to) {
		all = append(all, s.dayMeasures(u, n).groups...)
	}
	s.mu.Lock()
	all = append(all, u.groups...)
	deleted := maps.Clone(u.deleted)
	s.mu.Unlock()
	var out []MeasureGroup
	for _, g := range all {
		if deleted[g.GrpID] {
			continue
		}
		inRange := !g.Date.Before(sp.from) && !g.Date.After(sp.to)
		if sp.lastUpdate.IsZero() && !inRange {
			continue
		}
		if !sp.lastUpdate.IsZero() && !g.Created.After(sp.lastUpdate) {
			continue
		}
		if g.Date.After(now) || g.Created.After(now) {
			continue
		}
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b MeasureGroup) int {
		return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(b.GrpID, a.GrpID))
	})
	return out
}

// measTypes reads meastype or meastypes; nil means every type.
func measTypes(f url.Values) (map[int]bool, bool) {
	list := f.Get("meastypes")
	if list == "" {
		list = f.Get("meastype")
	}
	if list == "" {
		return nil, true
	}
	types := map[int]bool{}
	for _, p := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, false
		}
		types[n] = true
	}
	return types, true
}

// getMeas is Measure Getmeas: "more" is an integer here, unlike v2.
func (s *Server) getMeas(req apiRequest) reply {
	u := s.user(req.userID)
	sp, okSpan := readSpan(req.form)
	types, okTypes := measTypes(req.form)
	category, _, badCat := formInt(req.form, "category")
	if !okSpan || !okTypes || badCat {
		return invalidParams("getmeas parameters")
	}
	if category == 0 {
		category = 1
	}
	var groups []map[string]any
	for _, g := range s.groupsOf(u, sp) {
		if wire, keep := groupWire(g, types, int(category)); keep {
			groups = append(groups, wire)
		}
	}
	page, more, next, okOff := paginate(s, groups, req.form)
	if !okOff {
		return invalidParams("offset")
	}
	body := map[string]any{
		"updatetime":  s.cfg.Now().Unix(),
		"timezone":    u.Location.String(),
		"measuregrps": orEmpty(page),
		"more":        boolInt(more),
		"offset":      next,
	}
	return ok(body)
}

// groupWire encodes a group as Withings does, keeping only the requested
// measure types; keep is false when nothing is left.
func groupWire(g MeasureGroup, types map[int]bool, category int) (map[string]any, bool) {
	if g.Category != category {
		return nil, false
	}
	var ms []map[string]any
	for _, m := range g.Measures {
		if types == nil || types[m.Type] {
			ms = append(ms, map[string]any{"value": m.Value, "type": m.Type, "unit": m.Unit, "algo": 0, "fm": 3})
		}
	}
	if len(ms) == 0 {
		return nil, false
	}
	return map[string]any{
		"grpid": g.GrpID, "attrib": g.Attrib, "date": g.Date.Unix(),
		"created": g.Created.Unix(), "modified": g.Created.Unix(), "category": g.Category,
		"deviceid": nullable(g.DeviceID), "hash_deviceid": nullable(g.DeviceID),
		"measures": ms, "modelid": nullableInt(g.ModelID), "model": nullable(g.Model), "comment": nil,
	}, true
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// user returns an authenticated user; authenticate guarantees it exists.
func (s *Server) user(id string) *user {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[id]
}
