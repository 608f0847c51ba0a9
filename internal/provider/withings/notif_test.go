package withings

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
)

const formType = "application/x-www-form-urlencoded"

func TestParseNotification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		want        Notification
	}{
		{"documented example", formType, "userid=12345&appli=1&startdate=1530576000&enddate=1530698753",
			Notification{UserID: "12345", Appli: AppliWeight, Start: time.Unix(1530576000, 0).UTC(), End: time.Unix(1530698753, 0).UTC()}},
		{"real sleep notification", formType, "userid=133337&startdate=1682809920&enddate=1682837220&appli=44",
			Notification{UserID: "133337", Appli: AppliSleep, Start: time.Unix(1682809920, 0).UTC(), End: time.Unix(1682837220, 0).UTC()}},
		{"start equals end", formType, "userid=1&appli=4&startdate=1700000000&enddate=1700000000",
			Notification{UserID: "1", Appli: AppliPressure, Start: time.Unix(1700000000, 0).UTC(), End: time.Unix(1700000000, 0).UTC()}},
		{"user unlink", formType, "userid=7&appli=46&action=unlink",
			Notification{UserID: "7", Appli: AppliUser, Action: "unlink"}},
		{"bed in with day and device", formType, "userid=7&appli=50&date=2024-03-02&deviceid=f998be4b9ccc9e136fd8cd8e8e344c31ec3b271d",
			Notification{UserID: "7", Appli: AppliBedIn, Date: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), DateIsDay: true,
				DeviceID: "f998be4b9ccc9e136fd8cd8e8e344c31ec3b271d"}},
		{"event with unix date", formType, "userid=7&appli=55&date=1700000000",
			Notification{UserID: "7", Appli: AppliECGFailed, Date: time.Unix(1700000000, 0).UTC()}},
		{"unknown appli is accepted", formType, "userid=7&appli=62",
			Notification{UserID: "7", Appli: 62}},
		{"extra fields ignored", formType, "userid=7&appli=16&comment=hello&foo=bar",
			Notification{UserID: "7", Appli: AppliActivity}},
		{"json with numbers", "application/json", `{"userid":12345,"appli":1,"startdate":1530576000,"enddate":1530698753}`,
			Notification{UserID: "12345", Appli: AppliWeight, Start: time.Unix(1530576000, 0).UTC(), End: time.Unix(1530698753, 0).UTC()}},
		{"json with strings and no content type", "", `{"userid":"12345","appli":"54","startdate":null}`,
			Notification{UserID: "12345", Appli: AppliECG}},
		{"form with charset", formType + "; charset=utf-8", "userid=0042&appli=2",
			Notification{UserID: "42", Appli: AppliTemperature}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNotification(tt.contentType, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNotificationInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body, wantMessage string
	}{
		{"empty", formType, "", "empty body"},
		{"no userid", formType, "appli=1", "userid is missing"},
		{"no appli", formType, "userid=1", "appli is missing"},
		{"userid not a number", formType, "userid=abc&appli=1", "userid is not a positive integer"},
		{"negative userid", formType, "userid=-5&appli=1", "userid is not a positive integer"},
		{"appli zero", formType, "userid=5&appli=0", "appli is not a positive integer"},
		{"appli text", formType, "userid=5&appli=weight", "appli is not a positive integer"},
		{"bad startdate", formType, "userid=5&appli=1&startdate=yesterday&enddate=1", "startdate is not a unix time"},
		{"end before start", formType, "userid=5&appli=1&startdate=200&enddate=100", "enddate is before startdate"},
		{"far future", formType, "userid=5&appli=1&startdate=99999999999999", "startdate is not a unix time"},
		{"bad date", formType, "userid=5&appli=50&date=2024-13-45", "date is not a unix time"},
		{"bad action", formType, "userid=5&appli=46&action=drop%20table", "action has unexpected characters"},
		{"bad form", formType, "userid=5&appli=%zz", "body is not form-encoded"},
		{"json array", "application/json", `[{"userid":1}]`, "body is not a JSON object"},
		{"json object value", "application/json", `{"userid":{"a":1},"appli":1}`, "userid is neither a string nor a number"},
		{"too large", formType, "userid=5&appli=1&x=" + strings.Repeat("a", 20000), "body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseNotification(tt.contentType, []byte(tt.body))
			wantKind(t, err, health.KindInvalid)
			if got := health.MessageOf(err); got != "withings notification: "+tt.wantMessage {
				t.Errorf("message = %q, want %q", got, tt.wantMessage)
			}
		})
	}
}

func TestAppliTable(t *testing.T) {
	t.Parallel()
	for _, a := range DefaultApplis {
		if info, known := a.Info(); !known || !info.Data && a != AppliUser {
			t.Errorf("default appli %d is neither a known data appli nor user actions", a)
		}
	}
	if Appli(62).Known() || Appli(62).String() != "62" || AppliSleep.String() != "sleep" {
		t.Errorf("Known/String disagree with the table")
	}
}

func FuzzParseNotification(f *testing.F) {
	seeds := []string{
		"userid=12345&appli=1&startdate=1530576000&enddate=1530698753",
		"userid=7&appli=46&action=unlink",
		"userid=7&appli=50&date=2024-03-02&deviceid=abc",
		`{"userid":12345,"appli":1,"startdate":1530576000}`,
		`{"userid":"1","appli":"44","date":"2024-01-01"}`,
		"userid=%ff&appli=1",
		"",
	}
	for _, s := range seeds {
		f.Add(formType, []byte(s))
		f.Add("application/json", []byte(s))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		n, err := ParseNotification(contentType, body)
		if err != nil {
			if health.KindOf(err) != health.KindInvalid {
				t.Fatalf("error kind %q, want invalid", health.KindOf(err))
			}
			if len(body) > 8 && strings.Contains(err.Error(), string(body)) {
				t.Fatalf("error quotes the body")
			}
			return
		}
		if n.UserID == "" || n.Appli <= 0 {
			t.Fatalf("accepted a notification without userid or appli: %+v", n)
		}
		if !n.Start.IsZero() && !n.End.IsZero() && n.End.Before(n.Start) {
			t.Fatalf("accepted end before start")
		}
	})
}
