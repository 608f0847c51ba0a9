package fitbittest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// route is a parsed /v4 API request.
type route struct {
	ep       Endpoint
	dataType string
	scope    string // required scope; "" for any read scope
	handle   func(w http.ResponseWriter, r *http.Request, u *user, rt route)
}

// parseRoute maps a path and method to an endpoint; false means Google's
// HTML 404.
func (s *Server) parseRoute(r *http.Request) (route, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v4/users/me/")
	if !ok {
		return route{}, false
	}
	switch {
	case rest == "identity" && r.Method == http.MethodGet:
		return route{ep: EndpointIdentity, handle: s.identity}, true
	case rest == "pairedDevices" && r.Method == http.MethodGet:
		return route{ep: EndpointPairedDevices, scope: scopeSettings, handle: s.pairedDevices}, true
	}
	typ, ok := strings.CutPrefix(rest, "dataTypes/")
	if !ok {
		return route{}, false
	}
	if t, ok := strings.CutSuffix(typ, "/dataPoints:dailyRollUp"); ok && r.Method == http.MethodPost && !strings.Contains(t, "/") {
		return route{ep: DailyRollUpEndpoint(t), dataType: t, scope: catalog[t].scope, handle: s.dailyRollUp}, true
	}
	if t, ok := strings.CutSuffix(typ, "/dataPoints"); ok && r.Method == http.MethodGet && !strings.Contains(t, "/") {
		return route{ep: ListEndpoint(t), dataType: t, scope: catalog[t].scope, handle: s.list}, true
	}
	return route{}, false
}

// api serves a /v4 request: count, fault, bearer token, quota, scope, then
// the endpoint.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	rt, ok := s.parseRoute(r)
	if !ok {
		notFoundHTML(w, r)
		return
	}
	s.count(rt.ep)
	f := s.takeFault(rt.ep)
	if f != nil && !f.delay(r.Context()) {
		return
	}
	if f != nil && f.replaces() {
		f.write(w)
		return
	}
	g, missing := s.authenticate(r)
	if g == nil {
		unauthenticated(w, missing)
		return
	}
	if okQuota, wait := s.takeQuota(g.userID); !okQuota {
		s.quotaExceeded(w, wait)
		return
	}
	if !scopeOK(g.scopes, rt.scope) {
		writeStatus(w, rpcStatus{code: http.StatusForbidden, reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com",
			message: "Request had insufficient authentication scopes."})
		return
	}
	s.mu.Lock()
	u := s.users[g.userID]
	s.mu.Unlock()
	if f != nil {
		sp := &spoiler{ResponseWriter: w, f: f}
		rt.handle(sp, r, u, rt)
		sp.flush()
		return
	}
	rt.handle(w, r, u, rt)
}

// scopeOK checks a grant against a required scope; "" takes any read
// scope (users.getIdentity, §2.3).
func scopeOK(granted []string, want string) bool {
	if want == "" {
		return slices.ContainsFunc(granted, func(s string) bool { return strings.HasSuffix(s, ".readonly") })
	}
	return slices.Contains(granted, want)
}

func invalidArgument(w http.ResponseWriter) {
	writeStatus(w, rpcStatus{code: http.StatusBadRequest, message: "Request contains an invalid argument."})
}

func (s *Server) identity(w http.ResponseWriter, _ *http.Request, u *user, _ route) {
	body := map[string]any{"name": "users/me/identity", "healthUserId": u.ID}
	if u.LegacyID != "" {
		body["legacyUserId"] = u.LegacyID
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) pairedDevices(w http.ResponseWriter, _ *http.Request, u *user, _ route) {
	sync := rfc3339(s.cfg.Now().Add(-40 * time.Minute).Truncate(time.Second))
	writeJSON(w, http.StatusOK, map[string]any{"pairedDevices": []any{
		map[string]any{"name": "users/" + u.ID + "/pairedDevices/" + strconv.FormatUint(u.hash%1e10, 10),
			"deviceType": "TRACKER", "deviceVersion": "Charge 6", "batteryStatus": "High", "batteryLevel": 82,
			"lastSyncTime": sync, "macAddress": "F3:1C:2A:9B:7E:04",
			"features": []string{"STEPS", "HEART_RATE", "SPO2", "SLEEP", "SMART_SLEEP", "EDA", "SKIN_TEMPERATURE"}},
		map[string]any{"name": "users/" + u.ID + "/pairedDevices/" + strconv.FormatUint(u.hash%1e9+7, 10),
			"deviceType": "SCALE", "deviceVersion": "Aria Air", "batteryStatus": "Medium", "batteryLevel": 55,
			"lastSyncTime": sync},
	}})
}

// pageSizeOf reads pageSize (or page_size) with the limits of §3.6.
func pageSizeOf(r *http.Request, dataType string) (int, bool) {
	q := r.URL.Query()
	v := q.Get("pageSize")
	if v == "" {
		v = q.Get("page_size")
	}
	limit, def := 10000, 1440
	switch dataType {
	case "sleep", "exercise":
		limit, def = 25, 25
	case "heart-rate":
		def = 50 // observed when pageSize is omitted
	}
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	if n == 0 {
		return def, true
	}
	return min(n, limit), true
}

// pageToken is an opaque offset bound to the query it continues.
func pageToken(query string, offset int) string {
	sum := sha256.Sum256([]byte(query))
	b := binary.BigEndian.AppendUint64(sum[:8:8], uint64(offset))
	return base64.RawURLEncoding.EncodeToString(b)
}

func parsePageToken(query, tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 16 {
		return 0, false
	}
	sum := sha256.Sum256([]byte(query))
	if string(b[:8]) != string(sum[:8]) {
		return 0, false
	}
	return int(binary.BigEndian.Uint64(b[8:])), true
}

// list is users.dataTypes.dataPoints.list.
func (s *Server) list(w http.ResponseWriter, r *http.Request, u *user, rt route) {
	t, known := catalog[rt.dataType]
	if !known || t.noList {
		invalidArgument(w)
		return
	}
	q := r.URL.Query()
	win, err := parseFilter(t, q.Get("filter"))
	if err != nil {
		fe := err.(*filterError)
		writeStatus(w, rpcStatus{code: http.StatusBadRequest, reason: "INVALID_DATA_POINT_FILTER", detailed: fe.detailed,
			message: "Invalid data point filter: " + fe.detailed + ".", violations: []string{fe.description}})
		return
	}
	size, ok := pageSizeOf(r, t.id)
	query := t.id + "\x00" + q.Get("filter")
	offset, okTok := parsePageToken(query, q.Get("pageToken"))
	if !ok || !okTok {
		invalidArgument(w)
		return
	}
	s.mu.Lock()
	var matched []map[string]any
	for _, p := range s.pointsLocked(u, t.id) {
		if !u.deleted[p.name] && win.contains(p) {
			matched = append(matched, p.wire)
		}
	}
	s.mu.Unlock()
	if offset >= len(matched) {
		writeJSON(w, http.StatusOK, map[string]any{}) // a last page may be {} (§3.6)
		return
	}
	end := min(offset+size, len(matched))
	body := map[string]any{"dataPoints": matched[offset:end], "nextPageToken": ""}
	if end < len(matched) {
		body["nextPageToken"] = pageToken(query, end)
	}
	writeJSON(w, http.StatusOK, body)
}

// rollUpRequest is a dailyRollUp body.
type rollUpRequest struct {
	Range struct {
		Start struct{ Date civilDate } `json:"start"`
		End   struct{ Date civilDate } `json:"end"`
	} `json:"range"`
	WindowSizeDays int    `json:"windowSizeDays"`
	PageSize       int    `json:"pageSize"`
	PageToken      string `json:"pageToken"`
}

type civilDate struct {
	Year  int `json:"year"`
	Month int `json:"month"`
	Day   int `json:"day"`
}

func (d civilDate) time() (time.Time, bool) {
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	return t, d.Year > 0 && t.Year() == d.Year && int(t.Month()) == d.Month && t.Day() == d.Day
}

// dailyRollUp is dataPoints:dailyRollUp with one-day windows for steps
// (countSum) and total-calories (kcalSum); other known types roll up to
// nothing. The range is closed-open (§3.7).
func (s *Server) dailyRollUp(w http.ResponseWriter, r *http.Request, u *user, rt route) {
	t, known := catalog[rt.dataType]
	if !known || t.shape == shapeSleep || t.shape == shapeECG {
		invalidArgument(w)
		return
	}
	var req rollUpRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		writeStatus(w, rpcStatus{code: http.StatusBadRequest, message: "Invalid JSON payload received."})
		return
	}
	a, okA := req.Range.Start.Date.time()
	b, okB := req.Range.End.Date.time()
	limit := 90
	if t.id == "total-calories" || t.id == "heart-rate" {
		limit = 14
	}
	days := int(b.Sub(a) / (24 * time.Hour))
	if !okA || !okB || (req.WindowSizeDays != 0 && req.WindowSizeDays != 1) {
		invalidArgument(w)
		return
	}
	if days < 1 || days > limit {
		writeStatus(w, rpcStatus{code: http.StatusBadRequest, reason: "INVALID_TIME_RANGE",
			message: "Query end time must be strictly larger than start time and the range within the limit."})
		return
	}
	var out []any
	s.mu.Lock()
	defer s.mu.Unlock()
	for d := b.AddDate(0, 0, -1); !d.Before(a); d = d.AddDate(0, 0, -1) {
		if !d.Before(s.histEnd) || d.Before(s.histEnd.AddDate(0, 0, -s.cfg.HistoryDays)) {
			continue
		}
		var v map[string]any
		switch t.id {
		case "steps":
			sum := 0
			for _, p := range s.pointsLocked(u, "steps") {
				if !u.deleted[p.name] && !p.civil.Before(d) && p.civil.Before(d.AddDate(0, 0, 1)) {
					if c, ok := p.wire["steps"].(map[string]any)["count"].(string); ok {
						n, _ := strconv.Atoi(c)
						sum += n
					}
				}
			}
			v = map[string]any{"countSum": strconv.Itoa(sum)}
		case "total-calories":
			h := sha256.Sum256([]byte(u.ID + d.Format(time.DateOnly) + strconv.FormatUint(s.cfg.Seed, 10)))
			v = map[string]any{"kcalSum": 1800 + float64(binary.BigEndian.Uint32(h[:4])%900000)/1000}
		default:
			continue
		}
		out = append(out, map[string]any{
			"civilStartTime": map[string]any{"date": dateJSON(d), "time": map[string]any{}},
			"civilEndTime":   map[string]any{"date": dateJSON(d.AddDate(0, 0, 1)), "time": map[string]any{}},
			t.camel:          v,
		})
	}
	if len(out) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rollupDataPoints": out})
}
