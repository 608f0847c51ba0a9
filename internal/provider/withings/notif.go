package withings

import (
	"encoding/json"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// Appli is a Withings notification category: which kind of data changed.
type Appli int

// The appli codes Withings documents.
const (
	AppliWeight      Appli = 1  // weight and body composition
	AppliTemperature Appli = 2  // temperature
	AppliPressure    Appli = 4  // blood pressure, heart pulse, SpO2
	AppliActivity    Appli = 16 // activity: steps, intraday, workouts
	AppliSleep       Appli = 44 // sleep
	AppliUser        Appli = 46 // user profile action (delete, unlink, update)
	AppliBedIn       Appli = 50 // bed in (Sleep Analyzer)
	AppliBedOut      Appli = 51 // bed out (Sleep Analyzer)
	AppliInflateDone Appli = 52 // Sleep Analyzer inflation done
	AppliNoAccount   Appli = 53 // device with no account (needs a signature)
	AppliECG         Appli = 54 // new ECG
	AppliECGFailed   Appli = 55 // ECG measurement failed
	AppliGlucose     Appli = 58 // glucose
)

// maxNotificationLen bounds a webhook body; real ones are under 200 bytes.
const maxNotificationLen = 16 << 10

// AppliInfo describes an appli code: its name, the OAuth scope it needs and
// whether it announces data to fetch (Data) or only an event.
type AppliInfo struct {
	Name  string
	Scope string
	Data  bool
}

// appliTable is the table of known appli codes.
var appliTable = map[Appli]AppliInfo{
	AppliWeight:      {"weight", "user.metrics", true},
	AppliTemperature: {"temperature", "user.metrics", true},
	AppliPressure:    {"pressure", "user.metrics", true},
	AppliActivity:    {"activity", "user.activity", true},
	AppliSleep:       {"sleep", "user.activity", true},
	AppliUser:        {"user", "user.info", false},
	AppliBedIn:       {"bed_in", "user.sleepevents", false},
	AppliBedOut:      {"bed_out", "user.sleepevents", false},
	AppliInflateDone: {"inflate_done", "user.sleepevents", false},
	AppliNoAccount:   {"no_account", "", false},
	AppliECG:         {"ecg", "user.metrics", true},
	AppliECGFailed:   {"ecg_failed", "user.metrics", false},
	AppliGlucose:     {"glucose", "user.metrics", true},
}

// DefaultApplis are the appli codes ohx subscribes to after linking: the
// data kinds, plus user actions (46) so that an unlink or account deletion
// at Withings revokes the link at once.
var DefaultApplis = []Appli{AppliWeight, AppliTemperature, AppliPressure, AppliActivity, AppliSleep, AppliECG, AppliUser}

// Info returns what the table knows of a; ok is false for an unknown code.
func (a Appli) Info() (info AppliInfo, ok bool) {
	info, ok = appliTable[a]
	return info, ok
}

// Known reports whether a is a documented appli code.
func (a Appli) Known() bool {
	_, ok := appliTable[a]
	return ok
}

// String returns the appli's name, or its number when unknown; it is a
// bounded value suitable for a metric label only for known codes.
func (a Appli) String() string {
	if info, ok := appliTable[a]; ok {
		return info.Name
	}
	return strconv.Itoa(int(a))
}

// Notification is one Withings webhook POST. Withings sends userid and
// appli always; startdate and enddate for data changes; date (a day or a
// unix time) and deviceid for events; action for appli 46.
type Notification struct {
	UserID     string
	Appli      Appli
	Start, End time.Time // zero when absent
	// Date is the event time, zero when absent; DateIsDay is true when
	// Withings sent a YYYY-MM-DD day, which Date holds as UTC midnight.
	Date      time.Time
	DateIsDay bool
	DeviceID  string
	Action    string // delete, unlink or update for appli 46
}

// notificationFields are the parameters ParseNotification reads; it ignores
// any other one.
var notificationFields = []string{"userid", "appli", "startdate", "enddate", "date", "deviceid", "action"}

// ParseNotification reads a webhook POST body, form-encoded as Withings
// sends it or JSON, and validates it. Errors are KindInvalid and never quote
// the body. Unknown appli codes are accepted: Withings retries failed
// deliveries for hours, so the caller acknowledges and counts them.
func ParseNotification(contentType string, body []byte) (Notification, error) {
	if len(body) == 0 {
		return Notification{}, invalidNotification("empty body")
	}
	if len(body) > maxNotificationLen {
		return Notification{}, invalidNotification("body too large")
	}
	fields, err := notificationValues(contentType, body)
	if err != nil {
		return Notification{}, err
	}
	return buildNotification(fields)
}

func invalidNotification(why string) error {
	return health.Errorf(health.KindInvalid, "withings notification: %s", why)
}

// notificationValues reads the body as JSON when it says so or looks like a
// JSON object, and as a form otherwise.
func notificationValues(contentType string, body []byte) (map[string]string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := strings.TrimSpace(string(body))
	if mt == "application/json" || strings.HasPrefix(trimmed, "{") {
		return jsonNotificationValues([]byte(trimmed))
	}
	q, err := url.ParseQuery(trimmed)
	if err != nil {
		return nil, invalidNotification("body is not form-encoded")
	}
	out := make(map[string]string, len(notificationFields))
	for _, k := range notificationFields {
		if vs := q[k]; len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out, nil
}

func jsonNotificationValues(body []byte) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, invalidNotification("body is not a JSON object")
	}
	out := make(map[string]string, len(notificationFields))
	for _, k := range notificationFields {
		v, ok := raw[k]
		if !ok || string(v) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		var n json.Number
		if json.Unmarshal(v, &n) != nil {
			return nil, invalidNotification(k + " is neither a string nor a number")
		}
		out[k] = n.String()
	}
	return out, nil
}

func buildNotification(f map[string]string) (Notification, error) {
	var n Notification
	var err error
	if n.UserID, err = parseUserID(f["userid"]); err != nil {
		return n, err
	}
	appli, err := parseCount("appli", f["appli"], true)
	if err != nil {
		return n, err
	}
	n.Appli = Appli(appli)
	if n.Start, err = parseUnixField("startdate", f["startdate"]); err != nil {
		return n, err
	}
	if n.End, err = parseUnixField("enddate", f["enddate"]); err != nil {
		return n, err
	}
	if !n.Start.IsZero() && !n.End.IsZero() && n.End.Before(n.Start) {
		return n, invalidNotification("enddate is before startdate")
	}
	if n.Date, n.DateIsDay, err = parseDate(f["date"]); err != nil {
		return n, err
	}
	if n.DeviceID, err = parseToken("deviceid", f["deviceid"], 64); err != nil {
		return n, err
	}
	if n.Action, err = parseToken("action", f["action"], 32); err != nil {
		return n, err
	}
	return n, nil
}

func parseUserID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalidNotification("userid is missing")
	}
	if _, err := parseCount("userid", s, true); err != nil {
		return "", err
	}
	return strings.TrimLeft(s, "0"), nil
}

// parseCount reads a positive decimal integer of at most 19 digits.
func parseCount(name, s string, required bool) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return 0, invalidNotification(name + " is missing")
		}
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || s[0] == '+' {
		return 0, invalidNotification(name + " is not a positive integer")
	}
	return n, nil
}

// maxNotificationUnix rejects times past year 9999, which time.Time
// formats badly and no notification carries.
const maxNotificationUnix = 253402300799

func parseUnixField(name, s string) (time.Time, error) {
	n, err := parseCount(name, s, false)
	if err != nil || n > maxNotificationUnix {
		return time.Time{}, invalidNotification(name + " is not a unix time")
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return time.Unix(n, 0).UTC(), nil
}

func parseDate(s string) (time.Time, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, nil
	}
	if d, err := time.Parse(dayLayout, s); err == nil {
		return d, true, nil
	}
	t, err := parseUnixField("date", s)
	return t, false, err
}

// parseToken accepts a short identifier of letters, digits, '-' and '_'.
func parseToken(name, s string, max int) (string, error) {
	if len(s) > max {
		return "", invalidNotification(name + " is too long")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", invalidNotification(name + " has unexpected characters")
		}
	}
	return s, nil
}
