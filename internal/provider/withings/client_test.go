package withings

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
)

// measGroup is the part of a getmeas group the tests look at.
type measGroup struct {
	GrpID    int64   `json:"grpid"`
	Attrib   int     `json:"attrib"`
	Date     int64   `json:"date"`
	DeviceID *string `json:"deviceid"`
	ModelID  *int    `json:"modelid"`
	Measures []struct {
		Value int64 `json:"value"`
		Type  int   `json:"type"`
		Unit  int   `json:"unit"`
	} `json:"measures"`
}

func groupsOf(t *testing.T, pages []json.RawMessage) []measGroup {
	t.Helper()
	var all []measGroup
	for _, p := range pages {
		all = append(all, field[[]measGroup](t, p, "measuregrps")...)
	}
	return all
}

func TestNewRequiresHTTPClient(t *testing.T) {
	t.Parallel()
	_, err := New(Config{}, nil, nil)
	wantKind(t, err, health.KindInternal)
	_, err = New(Config{APIURL: "not a url"}, &http.Client{}, nil)
	wantKind(t, err, health.KindInvalid)
}

func TestGetMeasPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := MeasureQuery{Start: testNow.AddDate(0, 0, -20), End: testNow}
	small := newEnv(t, func(c *withingstest.Config, _ *Config) { c.PageSize = 7 })
	pages, err := small.client.GetMeas(ctx, small.token(), q)
	if err != nil {
		t.Fatal(err)
	}
	big := newEnv(t, func(c *withingstest.Config, _ *Config) { c.PageSize = 10000 })
	one, err := big.client.GetMeas(ctx, big.token(), q)
	if err != nil {
		t.Fatal(err)
	}
	all := groupsOf(t, one)
	if len(one) != 1 || len(all) < 60 {
		t.Fatalf("single fetch: %d pages, %d groups; want 1 page with 20 days of groups", len(one), len(all))
	}
	wantPages := (len(all) + 6) / 7
	if len(pages) != wantPages || small.emu.Count(withingstest.EndpointGetMeas) != wantPages {
		t.Errorf("paginated fetch: %d pages, %d requests; want %d", len(pages), small.emu.Count(withingstest.EndpointGetMeas), wantPages)
	}
	if diff := cmp.Diff(all, groupsOf(t, pages)); diff != "" {
		t.Errorf("paginated groups differ from one page (-one +paged):\n%s", diff)
	}
	if more := field[int](t, pages[len(pages)-1], "more"); more != 0 {
		t.Errorf("last page more = %d, want 0", more)
	}
}

// TestGeneratedMeasures checks the variety the emulator promises: several
// devices, BP in unit 0 and -2, manual entries with a null device.
func TestGeneratedMeasures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	pages, err := e.client.GetMeas(context.Background(), e.token(), MeasureQuery{Start: testNow.AddDate(0, 0, -31), End: testNow})
	if err != nil {
		t.Fatal(err)
	}
	units := map[[2]int]bool{} // type, unit
	models := map[int]bool{}
	manual := 0
	for _, g := range groupsOf(t, pages) {
		if g.DeviceID == nil {
			manual++
			if g.Attrib != 2 || g.ModelID != nil {
				t.Errorf("manual group %d: attrib %d, modelid %v", g.GrpID, g.Attrib, g.ModelID)
			}
		} else {
			models[*g.ModelID] = true
		}
		if g.GrpID < 1<<32 {
			t.Errorf("grpid %d does not exercise int64", g.GrpID)
		}
		for _, m := range g.Measures {
			units[[2]int{m.Type, m.Unit}] = true
		}
	}
	for _, want := range [][2]int{{1, -3}, {1, 0}, {4, -2}, {9, 0}, {9, -2}, {10, 0}, {10, -2}, {11, 0}, {11, -2},
		{54, 0}, {54, -2}, {71, -2}, {91, -3}, {130, 0}, {138, -3}, {77, -2}} {
		if !units[want] {
			t.Errorf("no measure of type %d with unit %d", want[0], want[1])
		}
	}
	if len(models) < 5 || manual == 0 {
		t.Errorf("%d device models and %d manual groups, want at least 5 and 1", len(models), manual)
	}
}

func TestGetMeasDeterministic(t *testing.T) {
	t.Parallel()
	q := MeasureQuery{Types: []int{1, 9, 10}, Start: testNow.AddDate(0, 0, -5), End: testNow}
	var runs [2][]measGroup
	for i := range runs {
		e := newEnv(t, nil)
		pages, err := e.client.GetMeas(context.Background(), e.token(), q)
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = groupsOf(t, pages)
		for _, g := range runs[i] {
			for _, m := range g.Measures {
				if !slices.Contains(q.Types, m.Type) {
					t.Errorf("meastypes filter let type %d through", m.Type)
				}
			}
		}
	}
	if diff := cmp.Diff(runs[0], runs[1]); diff != "" {
		t.Errorf("same seed, different data:\n%s", diff)
	}
}

func TestGetMeasLastUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	at := testNow.Add(-10 * time.Minute)
	err := e.emu.AddMeasure(testUser, withingstest.MeasureGroup{Date: at,
		Measures: []withingstest.Measure{{Value: 72500, Type: 1, Unit: -3}}})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := e.client.GetMeas(context.Background(), e.token(), MeasureQuery{LastUpdate: testNow.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	got := groupsOf(t, pages)
	if len(got) != 1 || got[0].Date != at.Unix() || got[0].Measures[0].Value != 72500 {
		t.Fatalf("lastupdate fetch = %+v, want only the added group", got)
	}
}

func TestQueryValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx, tok := context.Background(), e.token()
	calls := map[string]func() error{
		"getmeas without range": func() error { _, err := e.client.GetMeas(ctx, tok, MeasureQuery{}); return err },
		"getmeas end before start": func() error {
			_, err := e.client.GetMeas(ctx, tok, MeasureQuery{Start: testNow, End: testNow.Add(-time.Hour)})
			return err
		},
		"activity without days": func() error { _, err := e.client.GetActivity(ctx, tok, DayQuery{}); return err },
		"intraday without range": func() error {
			_, err := e.client.GetIntradayActivity(ctx, tok, time.Time{}, testNow, nil)
			return err
		},
		"heart signal zero": func() error { _, err := e.client.GetHeartSignal(ctx, tok, 0); return err },
		"subscribe bad URL": func() error {
			return e.client.Subscribe(ctx, tok, "/relative?token=secret", AppliWeight, "")
		},
	}
	for name, call := range calls {
		err := call()
		if health.KindOf(err) != health.KindInvalid {
			t.Errorf("%s: kind %q, want invalid", name, health.KindOf(err))
		}
		noSecrets(t, err, "secret")
	}
	if n := len(e.emu.Counts()); n != 0 {
		t.Errorf("invalid queries reached the API: %v", e.emu.Counts())
	}
}

func TestIntradaySplitsInto24HourWindows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	start := testNow.AddDate(0, 0, -4).Truncate(24 * time.Hour)
	end := start.Add(60 * time.Hour)
	bodies, err := e.client.GetIntradayActivity(context.Background(), e.token(), start, end, []string{"steps", "heart_rate"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 3 || e.emu.Count(withingstest.EndpointGetIntraday) != 3 {
		t.Fatalf("%d bodies, %d requests; want 3 windows", len(bodies), e.emu.Count(withingstest.EndpointGetIntraday))
	}
	seen := map[int64]bool{}
	for i, b := range bodies {
		lo, hi := start.Add(time.Duration(i)*24*time.Hour), start.Add(time.Duration(i+1)*24*time.Hour)
		for k := range field[map[string]json.RawMessage](t, b, "series") {
			ts, _ := strconv.ParseInt(k, 10, 64)
			if ts < lo.Unix() || ts >= hi.Unix() || seen[ts] {
				t.Errorf("window %d: entry %d outside [%d, %d) or repeated", i, ts, lo.Unix(), hi.Unix())
			}
			seen[ts] = true
		}
	}
	// A heart rate every ten minutes of the 60 hours, both ends included.
	for ts := start; !ts.After(end); ts = ts.Add(10 * time.Minute) {
		if !seen[ts.Unix()] {
			t.Fatalf("no entry at %s", ts)
		}
	}
}

func TestSplitWindows(t *testing.T) {
	t.Parallel()
	s := time.Unix(1000, 0)
	tests := []struct {
		end  time.Time
		want [][2]int64
	}{
		{s, [][2]int64{{1000, 1000}}},
		{s.Add(24 * time.Hour), [][2]int64{{1000, 87399}, {87400, 87400}}},
		{s.Add(24*time.Hour - time.Second), [][2]int64{{1000, 87399}}},
		{s.Add(50 * time.Hour), [][2]int64{{1000, 87399}, {87400, 173799}, {173800, 181000}}},
	}
	for _, tt := range tests {
		var got [][2]int64
		for _, w := range splitWindows(s, tt.end, MaxWindow) {
			got = append(got, [2]int64{w[0].Unix(), w[1].Unix()})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("splitWindows(.., %d) (-want +got):\n%s", tt.end.Unix(), diff)
		}
	}
}

func TestSleepGetSplitsAndCarriesSeries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	start := testNow.AddDate(0, 0, -3).Truncate(24 * time.Hour).Add(-3 * time.Hour)
	bodies, err := e.client.GetSleep(context.Background(), e.token(), start, start.Add(36*time.Hour), []string{"hr", "rr"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 {
		t.Fatalf("%d bodies, want 2", len(bodies))
	}
	type seg struct {
		State int            `json:"state"`
		Model string         `json:"model"`
		HR    map[string]int `json:"hr"`
		RR    map[string]int `json:"rr"`
	}
	var n int
	for _, b := range bodies {
		for _, s := range field[[]seg](t, b, "series") {
			n++
			if s.Model != "Aura Sensor V2" || len(s.HR) == 0 || len(s.RR) != len(s.HR) {
				t.Errorf("segment without string model or hr series: %+v", s)
			}
		}
	}
	if n < 10 {
		t.Errorf("%d sleep segments over two nights, want more", n)
	}
}

func TestDailyAndDeviceEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *withingstest.Config, _ *Config) { c.PageSize = 4 })
	ctx, tok := context.Background(), e.token()
	days := DayQuery{From: testNow.AddDate(0, 0, -9), To: testNow.AddDate(0, 0, -1)}
	count := func(pages []json.RawMessage, key string) int {
		n := 0
		for _, p := range pages {
			n += len(field[[]json.RawMessage](t, p, key))
		}
		return n
	}
	act, err := e.client.GetActivity(ctx, tok, days)
	if err != nil || count(act, "activities") != 9 || len(act) != 3 {
		t.Errorf("getactivity: %d pages, err %v; want 9 days in 3 pages", len(act), err)
	}
	sum, err := e.client.GetSleepSummary(ctx, tok, days)
	if err != nil || count(sum, "series") != 9 {
		t.Errorf("getsummary: err %v; want 9 nights", err)
	}
	hearts, err := e.client.ListHeart(ctx, tok, testNow.AddDate(0, 0, -30), testNow)
	if err != nil || count(hearts, "series") < 10 {
		t.Fatalf("heart list: err %v; want at least 10 recordings in 30 days", err)
	}
	dev, err := e.client.GetDevices(ctx, tok)
	if err != nil || len(field[[]json.RawMessage](t, dev, "devices")) != 6 {
		t.Errorf("getdevice: err %v; want 6 devices", err)
	}
}

func TestHeartSignals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx, tok := context.Background(), e.token()
	pages, err := e.client.ListHeart(ctx, tok, testNow.AddDate(0, 0, -15), testNow)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		Model int `json:"model"`
		ECG   struct {
			SignalID int64 `json:"signalid"`
		} `json:"ecg"`
	}
	want := map[int][2]int{44: {500, 20}, 93: {300, 30}} // model → Hz, seconds
	got := map[int]bool{}
	for _, r := range field[[]rec](t, pages[0], "series") {
		if got[r.Model] {
			continue
		}
		body, err := e.client.GetHeartSignal(ctx, tok, r.ECG.SignalID)
		if err != nil {
			t.Fatal(err)
		}
		signal := field[[]int](t, body, "signal")
		hz := field[int](t, body, "sampling_frequency")
		if hz != want[r.Model][0] || len(signal) != hz*want[r.Model][1] {
			t.Errorf("model %d: %d samples at %d Hz, want %v", r.Model, len(signal), hz, want[r.Model])
		}
		if peak := slices.Max(signal); peak < 700 || peak > 1500 {
			t.Errorf("model %d: R peak %d µV, want about 1 mV", r.Model, peak)
		}
		got[r.Model] = true
	}
	if len(got) != 2 {
		t.Errorf("recordings of models %v, want BPM Core and ScanWatch", got)
	}
	_, err = e.client.GetHeartSignal(ctx, tok, 42)
	wantKind(t, err, health.KindInvalid)
}

func TestFaultClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fault        withingstest.Fault
		wantKind     health.ErrorKind // "" for success
		wantRequests int
	}{
		{"601 is not retried", withingstest.Fault{Status: 601}, health.KindRateLimited, 1},
		{"2554 once is retried", withingstest.Fault{Status: 2554, Times: 1}, "", 2},
		{"2555 always gives up", withingstest.Fault{Status: 2555}, health.KindTransient, 4},
		{"522 timeout status", withingstest.Fault{Status: 522, Times: 2}, "", 3},
		{"HTTP 502 is retried", withingstest.Fault{HTTPStatus: 502, Times: 1}, "", 2},
		{"HTTP 503 always", withingstest.Fault{HTTPStatus: 503}, health.KindTransient, 4},
		{"truncated body is retried", withingstest.Fault{Truncate: true, Times: 1}, "", 2},
		{"malformed body always", withingstest.Fault{Malformed: true}, health.KindTransient, 4},
		{"slow answer times out and is retried", withingstest.Fault{Delay: time.Second, Times: 1}, "", 2},
		{"invalid params", withingstest.Fault{Status: 293}, health.KindInvalid, 1},
		{"unauthorized family", withingstest.Fault{Status: 214}, health.KindForbidden, 1},
		{"bad state", withingstest.Fault{Status: 524}, health.KindConflict, 1},
		{"an error occurred", withingstest.Fault{Status: 5000}, health.KindBadProvider, 1},
		{"HTTP 404", withingstest.Fault{HTTPStatus: 404}, health.KindBadProvider, 1},
		{"401 with a static token", withingstest.Fault{Status: 401}, health.KindUnauthorized, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(_ *withingstest.Config, c *Config) { c.RequestTimeout = 100 * time.Millisecond })
			e.emu.InjectFault(withingstest.EndpointGetDevice, tt.fault)
			tok := e.token()
			_, err := e.client.GetDevices(context.Background(), tok)
			wantKind(t, err, tt.wantKind)
			noSecrets(t, err, string(tok))
			if got := e.emu.Count(withingstest.EndpointGetDevice); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestRateLimitedCarriesRetryAfter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.emu.InjectFault(withingstest.EndpointGetMeas, withingstest.Fault{Status: 601})
	_, err := e.client.GetMeas(context.Background(), e.token(), MeasureQuery{LastUpdate: testNow.Add(-time.Hour)})
	var he *health.Error
	if !errors.As(err, &he) || he.Kind != health.KindRateLimited || he.RetryAfterSeconds != 60 {
		t.Fatalf("err = %#v, want rate_limited with RetryAfterSeconds 60", err)
	}
	var code *StatusError
	if !errors.As(err, &code) || code.Status != 601 {
		t.Errorf("status code not recoverable from %v", err)
	}
}

func TestQuotaUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	const workers, calls = 8, 25
	var mu sync.Mutex
	kinds := map[health.ErrorKind]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range calls {
				_, err := e.client.GetDevices(context.Background(), tok)
				mu.Lock()
				kinds[health.KindOf(err)]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	want := map[health.ErrorKind]int{"": 120, health.KindRateLimited: workers*calls - 120}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got := e.emu.QuotaRejections(); got != workers*calls-120 {
		t.Errorf("emulator rejected %d, want %d", got, workers*calls-120)
	}
	e.clock.Advance(61 * time.Second)
	if _, err := e.client.GetDevices(context.Background(), tok); err != nil {
		t.Errorf("after the window: %v", err)
	}
}
