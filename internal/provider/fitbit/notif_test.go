package fitbit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/fitbit"
)

// docNotification is §6.3's documented single-object form (with the doc's
// startTime typo corrected).
const docNotification = `{
  "data": {
    "version": "1",
    "clientProvidedSubscriptionName": "subscription-name",
    "healthUserId": "health-user-id",
    "operation": "UPSERT",
    "dataType": "steps",
    "intervals": [
      {
        "physicalTimeInterval": { "startTime": "2026-03-08T01:29:00Z", "endTime": "2026-03-08T01:34:00Z" },
        "civilDateTimeInterval": {
          "startDateTime": { "date": { "year": 2026, "month": 3, "day": 7 }, "time": { "hours": 17, "minutes": 29 } },
          "endDateTime":   { "date": { "year": 2026, "month": 3, "day": 7 }, "time": { "hours": 17, "minutes": 34 } }
        },
        "civilIso8601TimeInterval": { "startTime": "2026-03-07T17:29:00", "endTime": "2026-03-07T17:34:00" }
      }
    ]
  }
}`

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

const slack = fitbit.CivilSlack

func TestParseNotificationsVariants(t *testing.T) {
	t.Parallel()
	data := func(inner string) string {
		return `{"data":{"version":"1","healthUserId":"1173016576421350648","operation":"UPSERT","dataType":"heart-rate"` + inner + `}}`
	}
	civilStart, civilEnd := ts("2026-03-07T17:29:00Z"), ts("2026-03-07T17:34:00Z")
	uid := "1173016576421350648"
	cases := []struct {
		name string
		body string
		want []fitbit.Notification
	}{
		{"documented single object", docNotification, []fitbit.Notification{
			{HealthUserID: "health-user-id", DataType: "steps", Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:34:00Z")}}},
		{"array batch", "[" + docNotification + "," + strings.Replace(docNotification, `"UPSERT"`, `"DELETE"`, 1) + "]", []fitbit.Notification{
			{HealthUserID: "health-user-id", DataType: "steps", Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:34:00Z")},
			{HealthUserID: "health-user-id", DataType: "steps", Delete: true, Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:34:00Z")}}},
		{"empty array", "[]", nil},
		{"version v4, operation UPDATE is an upsert", strings.Replace(strings.Replace(docNotification, `"1"`, `"v4"`, 1), "UPSERT", "UPDATE", 1), []fitbit.Notification{
			{HealthUserID: "health-user-id", DataType: "steps", Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:34:00Z")}}},
		{"numeric version, lower-case delete", `{"data":{"version":1,"healthUserId":"u-1","operation":"delete","dataType":"weight"}}`, []fitbit.Notification{
			{HealthUserID: "u-1", DataType: "weight", Delete: true}}},
		{"no intervals", data(""), []fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate"}}},
		{"empty intervals", data(`,"intervals":[]`), []fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate"}}},
		{"interval without representation", data(`,"intervals":[{}]`), []fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate"}}},
		{"physical only", data(`,"intervals":[{"physicalTimeInterval":{"startTime":"2026-03-08T01:29:00.5Z","endTime":"2026-03-08T03:34:00+02:00"}}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-08T01:29:00Z").Add(500 * time.Millisecond), End: ts("2026-03-08T01:34:00Z")}}},
		{"only startTime", data(`,"intervals":[{"physicalTimeInterval":{"startTime":"2026-03-08T01:29:00Z"}}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:29:00Z")}}},
		{"civil date-time only", data(`,"intervals":[{"civilDateTimeInterval":{"startDateTime":{"date":{"year":2026,"month":3,"day":7},"time":{"hours":17,"minutes":29}},"endDateTime":{"date":{"year":"2026","month":"3","day":"7"},"time":{"hours":17,"minutes":34}}}}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: civilStart.Add(-slack), End: civilEnd.Add(slack)}}},
		{"civil midnight as time {}", data(`,"intervals":[{"civilDateTimeInterval":{"startDateTime":{"date":{"year":2026,"month":3,"day":7},"time":{}}}}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-07T00:00:00Z").Add(-slack), End: ts("2026-03-07T00:00:00Z").Add(slack)}}},
		{"civil ISO object", data(`,"intervals":[{"civilIso8601TimeInterval":{"startTime":"2026-03-07T17:29:00","endTime":"2026-03-07T17:34:00"}}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: civilStart.Add(-slack), End: civilEnd.Add(slack)}}},
		{"civil ISO date string", data(`,"intervals":[{"civilIso8601TimeInterval":"2026-08-13/2026-08-14"}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-08-13T00:00:00Z").Add(-slack), End: ts("2026-08-15T00:00:00Z").Add(slack)}}},
		{"civil ISO date-time string", data(`,"intervals":[{"civilIso8601TimeInterval":"2026-03-07T17:29:00/2026-03-07T17:34:00"}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: civilStart.Add(-slack), End: civilEnd.Add(slack)}}},
		{"civil ISO lone date", data(`,"intervals":[{"civilIso8601TimeInterval":"2026-08-13"}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-08-13T00:00:00Z").Add(-slack), End: ts("2026-08-14T00:00:00Z").Add(slack)}}},
		{"civil ISO with offsets is not widened", data(`,"intervals":[{"civilIso8601TimeInterval":"2026-03-07T17:29:00-08:00/2026-03-07T17:34:00-08:00"}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:34:00Z")}}},
		{"physical preferred over civil", data(`,"intervals":[{"civilIso8601TimeInterval":"2026-08-13/2026-08-14","physicalTimeInterval":{"startTime":"2026-03-08T01:29:00Z","endTime":"2026-03-08T01:34:00Z"}}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:34:00Z")}}},
		{"empty physical falls back to civil", data(`,"intervals":[{"physicalTimeInterval":{},"civilIso8601TimeInterval":"2026-03-07T17:29:00/2026-03-07T17:34:00"}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: civilStart.Add(-slack), End: civilEnd.Add(slack)}}},
		{"reversed bounds are swapped", data(`,"intervals":[{"physicalTimeInterval":{"startTime":"2026-03-08T01:34:00Z","endTime":"2026-03-08T01:29:00Z"}}]`),
			[]fitbit.Notification{{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-08T01:29:00Z"), End: ts("2026-03-08T01:34:00Z")}}},
		{"several intervals", data(`,"intervals":[{"physicalTimeInterval":{"startTime":"2026-03-08T01:00:00Z","endTime":"2026-03-08T01:05:00Z"}},{"physicalTimeInterval":{"startTime":"2026-03-08T02:00:00Z","endTime":"2026-03-08T02:05:00Z"}}]`),
			[]fitbit.Notification{
				{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-08T01:00:00Z"), End: ts("2026-03-08T01:05:00Z")},
				{HealthUserID: uid, DataType: "heart-rate", Start: ts("2026-03-08T02:00:00Z"), End: ts("2026-03-08T02:05:00Z")}}},
		{"numeric healthUserId, camelCase data type, unknown fields", `{"data":{"healthUserId":1173016576421350648,"dataType":"dailyRestingHeartRate","extra":{"x":[1,2]}},"other":true}`,
			[]fitbit.Notification{{HealthUserID: uid, DataType: "daily-resting-heart-rate"}}},
		{"element without data wrapper", `[{"healthUserId":"u-1","dataType":"SLEEP","operation":"UPSERT"}]`,
			[]fitbit.Notification{{HealthUserID: "u-1", DataType: "sleep"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, got, err := fitbit.ParseNotifications([]byte(tc.body))
			if err != nil || v {
				t.Fatalf("verification %v, err %v", v, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d notifications %+v, want %+v", len(got), got, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.HealthUserID != w.HealthUserID || g.DataType != w.DataType || g.Delete != w.Delete || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) {
					t.Errorf("[%d] = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestParseNotificationsVerification(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"type": "verification"}`, ` {"type":"VERIFICATION"} `} {
		v, notes, err := fitbit.ParseNotifications([]byte(body))
		if !v || notes != nil || err != nil {
			t.Errorf("%s: %v %v %v", body, v, notes, err)
		}
	}
	// In a batch the verification object is not a notification.
	if v, _, err := fitbit.ParseNotifications([]byte(`[{"type":"verification"}]`)); v || err == nil {
		t.Errorf("verification inside an array: %v %v", v, err)
	}
}

func TestParseNotificationsErrors(t *testing.T) {
	t.Parallel()
	const secretish = "S3CR3T-VALUE"
	cases := []struct{ name, body, mention string }{
		{"empty", "", "empty"},
		{"not JSON", "userid=" + secretish, "not valid JSON"},
		{"scalar", `"` + secretish + `"`, "neither"},
		{"null", `null`, "neither"},
		{"other type", `{"type":"` + secretish + `"}`, "neither data nor type verification"},
		{"missing user", `{"data":{"dataType":"steps"}}`, "data.healthUserId is missing"},
		{"empty user", `{"data":{"healthUserId":"  ","dataType":"steps"}}`, "data.healthUserId is empty"},
		{"user not string", `{"data":{"healthUserId":{"a":"` + secretish + `"},"dataType":"steps"}}`, "data.healthUserId"},
		{"user with spaces", `{"data":{"healthUserId":"a b` + secretish + `","dataType":"steps"}}`, "data.healthUserId"},
		{"missing type", `{"data":{"healthUserId":"1"}}`, "data.dataType is missing"},
		{"type not string", `{"data":{"healthUserId":"1","dataType":42}}`, "data.dataType has the wrong JSON type"},
		{"intervals not array", `{"data":{"healthUserId":"1","dataType":"steps","intervals":{}}}`, "data.intervals has the wrong JSON type"},
		{"bad physical start", `{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"physicalTimeInterval":{"startTime":"` + secretish + `"}}]}}`, "data.intervals[0].physicalTimeInterval.startTime"},
		{"bad physical end", `[` + docNotification + `,{"data":{"healthUserId":"1","dataType":"steps","intervals":[{},{"physicalTimeInterval":{"startTime":"2026-03-08T01:29:00Z","endTime":"x` + secretish + `"}}]}}]`, "notification [1]: data.intervals[1].physicalTimeInterval.endTime"},
		{"bad civil date", `{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"civilDateTimeInterval":{"startDateTime":{"date":{"year":2026,"month":13,"day":1}}}}]}}`, "civilDateTimeInterval.startDateTime has an invalid date"},
		{"civil without date", `{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"civilDateTimeInterval":{"endDateTime":{"time":{"hours":1}}}}]}}`, "civilDateTimeInterval.endDateTime has no date"},
		{"bad civil time", `{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"civilDateTimeInterval":{"startDateTime":{"date":{"year":2026,"month":1,"day":1},"time":{"hours":25}}}}]}}`, "invalid time of day"},
		{"bad ISO string", `{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"civilIso8601TimeInterval":"` + secretish + `/2026-01-01"}]}}`, "civilIso8601TimeInterval start"},
		{"ISO number", `{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"civilIso8601TimeInterval":7}]}}`, "civilIso8601TimeInterval is neither"},
		{"array element not object", `[` + docNotification + `, 3]`, "notification [1]: not a JSON object"},
		{"array element without data", `[{"foo":1}]`, "notification [0]: data is missing"},
		{"too many", "[" + strings.Repeat(docNotification+",", fitbit.MaxNotifications) + docNotification + "]", "more than 1000"},
		{"truncated", docNotification[:100], "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, notes, err := fitbit.ParseNotifications([]byte(tc.body))
			if err == nil || v || notes != nil {
				t.Fatalf("got %v %v %v, want an error", v, notes, err)
			}
			if health.KindOf(err) != health.KindInvalid {
				t.Errorf("kind %s", health.KindOf(err))
			}
			msg := health.MessageOf(err)
			if !strings.Contains(msg, tc.mention) {
				t.Errorf("message %q does not mention %q", msg, tc.mention)
			}
			if strings.Contains(err.Error(), secretish) {
				t.Errorf("error echoes a value: %q", err.Error())
			}
		})
	}
}

func FuzzParseNotifications(f *testing.F) {
	seeds := []string{
		docNotification,
		"[" + docNotification + "," + docNotification + "]",
		`{"type": "verification"}`,
		`[]`,
		`[{"data":{"version":"v4","healthUserId":"1","operation":"UPDATE","dataType":"sleep","intervals":[{"civilIso8601TimeInterval":"2026-08-13/2026-08-14"}]}}]`,
		`{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"physicalTimeInterval":{"startTime":"2026-03-08T01:29:00Z"}}]}}`,
		`{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"civilDateTimeInterval":{"startDateTime":{"date":{"year":2026,"month":3,"day":7},"time":{}}}}]}}`,
		`{"data":{"healthUserId":1,"dataType":"steps","operation":"DELETE","intervals":[{}]}}`,
		`[{"healthUserId":"u","dataType":"HEART_RATE"}]`,
		`{"data":{"healthUserId":"1","dataType":"steps","intervals":[{"civilDateTimeInterval":{"startDateTime":{"date":{"year":"9999","month":12,"day":31},"time":{"hours":24,"seconds":60,"nanos":999999999}}}}]}}`,
		`null`, `"x"`, `{}`, `[1]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, notes, err := fitbit.ParseNotifications(body)
		if err != nil {
			if v || notes != nil || health.KindOf(err) != health.KindInvalid {
				t.Fatalf("error %v with %v %v", err, v, notes)
			}
			return
		}
		if v && len(notes) > 0 {
			t.Fatal("verification with notifications")
		}
		for _, n := range notes {
			if n.HealthUserID == "" || n.DataType == "" || n.End.Before(n.Start) || n.Start.IsZero() != n.End.IsZero() {
				t.Fatalf("bad notification %+v", n)
			}
		}
	})
}
