package fhir

import (
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// The cases are built in Go, not decoded, so these tests pin the mapping
// alone; the Withings decoder has its own tests and fixtures.

var (
	testNow   = time.Date(2024, 1, 16, 8, 0, 0, 0, time.UTC)
	amsterdam = time.FixedZone("", 3600)
	t0        = time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
)

const (
	scaleID = "f998be4b9ccc9e136fd8cd8e8e344c31ec3b271d"
	bpmID   = "91a7e556c2022ef54dca6e07a853c3193734d148"
	watchID = "153570f9668b0259ffef08536f8f3ba879774490"
)

type testCase struct {
	name  string
	batch health.Batch
}

func wm(kind health.Kind, rec string, v float64) health.Measurement {
	return health.Measurement{
		Kind: kind, Provider: health.ProviderWithings, RecordID: rec, Start: t0.In(amsterdam),
		TimeZone: "Europe/Amsterdam", Device: scaleID, DeviceModel: "Body+", Origin: health.OriginDevice, Value: v,
	}
}

func testCases() []testCase {
	return []testCase{
		{"withings-getmeas-body", bodyBatch()},
		{"withings-getmeas-cardio", cardioBatch()},
		{"withings-heart-ecg", ecgBatch()},
		{"withings-getactivity", activityBatch()},
		{"withings-intraday", intradayBatch()},
		{"withings-sleep", sleepBatch()},
		{"withings-getdevice", deviceBatch()},
		{"fitbit-ecg", fitbitECGBatch()},
	}
}

func bodyBatch() health.Batch {
	manual := wm(health.KindBodyWeight, "4815757310:1", 81.5)
	manual.Device, manual.DeviceModel, manual.Origin = "", "", health.OriginManual
	manual.Start = t0.Add(2 * time.Hour).In(amsterdam)
	return health.Batch{Provider: health.ProviderWithings, Source: "getmeas", TimeZone: "Europe/Amsterdam", Measurements: []health.Measurement{
		wm(health.KindBodyWeight, "4815757309:1", 118.003),
		wm(health.KindHeight, "4815757309:4", 182),
		wm(health.KindBMI, "4815757309:bmi", 35.6),
		wm(health.KindFatRatio, "4815757309:6", 31.2),
		wm(health.KindFatMass, "4815757309:8", 36.8),
		wm(health.KindFatFreeMass, "4815757309:5", 81.2),
		wm(health.KindMuscleMass, "4815757309:76", 77.1),
		wm(health.KindBoneMass, "4815757309:88", 4.1),
		wm(health.KindBodyWater, "4815757309:77", 58.9),
		wm(health.KindVisceralFat, "4815757309:170", 12),
		manual,
	}}
}

func cardioBatch() health.Batch {
	bp := wm(health.KindBloodPressure, "4398749699:bp", 0)
	bp.Device, bp.DeviceModel = bpmID, "BPM Connect"
	bp.BloodPressure = &health.BloodPressure{Systolic: 158, Diastolic: 106, Pulse: 62}
	temp := wm(health.KindBodyTemp, "4398749700:71", 36.8)
	temp.Origin = health.OriginManual
	afib := wm(health.KindAFibPPG, "4398749701:139", 0)
	afib.Rhythm = &health.Classification{Rhythm: health.RhythmSinus, ProviderCode: "0"}
	return health.Batch{Provider: health.ProviderWithings, Source: "getmeas", Measurements: []health.Measurement{
		bp, temp,
		wm(health.KindSkinTemp, "4398749700:73", 33.1),
		wm(health.KindSpO2, "4398749702:54", 98),
		wm(health.KindHeartRate, "4398749702:11", 64),
		wm(health.KindPWV, "4398749703:91", 7.2),
		wm(health.KindVascularAge, "4398749703:155", 40),
		wm(health.KindVO2Max, "4398749704:123", 41.5),
		afib,
	}}
}

func ecgBatch() health.Batch {
	e := wm(health.KindECG, "2500907", 0)
	e.Device, e.DeviceModel = watchID, "ScanWatch"
	e.ECG = &health.ECG{
		SignalID: "2500907", Samples: []int32{-57, -62, -66, -71, 34, 120, 480, 910, 450, 60, -20, -35},
		SamplingRate: 500, Scale: 1, ScaleUnit: "uV", Lead: "I",
		Classification: health.Classification{Rhythm: health.RhythmAFib, ProviderCode: "1"},
		HeartRate:      73, QRS: 92, PR: 160, QT: 380, QTc: 410,
	}
	noWave := wm(health.KindECG, "2500908", 0)
	noWave.Start = t0.Add(time.Hour).In(amsterdam)
	noWave.Device, noWave.DeviceModel = watchID, "ScanWatch"
	noWave.ECG = &health.ECG{SignalID: "2500908", Classification: health.Classification{Rhythm: health.RhythmInconclusive, ProviderCode: "2"}}
	return health.Batch{Provider: health.ProviderWithings, Source: "heart-list", Measurements: []health.Measurement{e, noWave}}
}

func daily(kind health.Kind, v float64) health.Measurement {
	return health.Measurement{
		Kind: kind, Provider: health.ProviderWithings, RecordID: "2024-01-15", Day: "2024-01-15",
		TimeZone: "Europe/Amsterdam", Device: watchID, DeviceModel: "ScanWatch", Origin: health.OriginDevice, Value: v,
	}
}

func activityBatch() health.Batch {
	withClock := daily(health.KindTotalEnergy, 2412.5)
	withClock.Start = time.Date(2024, 1, 15, 0, 0, 0, 0, amsterdam)
	withClock.End = time.Date(2024, 1, 16, 0, 0, 0, 0, amsterdam)
	zero := daily(health.KindStepsDaily, 0)
	zero.RecordID, zero.Day = "2024-01-14", "2024-01-14"
	return health.Batch{Provider: health.ProviderWithings, Source: "getactivity", Measurements: []health.Measurement{
		daily(health.KindStepsDaily, 7267), zero,
		daily(health.KindDistance, 5120.4),
		daily(health.KindActiveEnergy, 312.25),
		withClock,
		daily(health.KindFloors, 6),
		daily(health.KindElevation, 18.5),
		daily(health.KindRestingHR, 58),
	}}
}

func intradayBatch() health.Batch {
	gap := health.Gap()
	start := time.Date(2024, 1, 15, 10, 58, 0, 0, amsterdam)
	hr := health.Measurement{
		Kind: health.KindHeartRate, Provider: health.ProviderWithings, RecordID: "intraday:2024-01-15T09:58Z",
		Start: start, Device: watchID, DeviceModel: "ScanWatch", Origin: health.OriginDevice,
		Series: &health.Series{Start: start, Interval: time.Minute, Values: []float64{71, 72, gap, 75, 74.5}},
	}
	steps := health.Measurement{
		Kind: health.KindSteps, Provider: health.ProviderWithings, RecordID: "intraday:2024-01-15T09:58Z",
		Start: start, Device: watchID, Origin: health.OriginDevice,
		Series: &health.Series{Start: start, Interval: time.Minute, Values: []float64{21, gap, 0, 40}},
	}
	interval := health.Measurement{
		Kind: health.KindSteps, Provider: health.ProviderWithings, RecordID: "1434758640",
		Start: time.Unix(1434758640, 0).UTC(), End: time.Unix(1434758700, 0).UTC(), Value: 21, Origin: health.OriginDevice,
	}
	rmssd := wm(health.KindHRVRMSSD, "intraday:rmssd:1705312800", 42.5)
	rmssd.Device, rmssd.DeviceModel = watchID, "ScanWatch"
	sdnn := wm(health.KindHRVSDNN, "intraday:sdnn:1705312800", 51)
	sdnn.Device, sdnn.DeviceModel = watchID, "ScanWatch"
	rr := wm(health.KindRespRate, "intraday:rr:1705312800", 15)
	rr.Device, rr.DeviceModel = watchID, "ScanWatch"
	return health.Batch{Provider: health.ProviderWithings, Source: "getintradayactivity", Measurements: []health.Measurement{hr, steps, interval, rmssd, sdnn, rr}}
}

func sleepBatch() health.Batch {
	s := health.NewSleep()
	s.InBed, s.Asleep, s.Light, s.Deep, s.REM = 8*time.Hour, 7*time.Hour+10*time.Minute, 4*time.Hour, 90*time.Minute, 100*time.Minute
	s.Awake, s.Latency, s.Awakenings, s.Efficiency, s.Score = 20*time.Minute, 12*time.Minute, 2, 89.6, 81
	start := time.Date(2024, 1, 14, 23, 5, 0, 0, amsterdam)
	sl := health.Measurement{
		Kind: health.KindSleep, Provider: health.ProviderWithings, RecordID: "3166498161", Start: start,
		End: start.Add(8 * time.Hour), Day: "2024-01-15", TimeZone: "Europe/Amsterdam",
		Origin: health.OriginDevice, DeviceModel: "Sleep Analyzer", Value: (7*time.Hour + 10*time.Minute).Seconds(), Sleep: s,
	}
	partial := sl
	partial.RecordID = "3166498162"
	partial.Sleep = health.NewSleep()
	partial.Sleep.Deep = 0
	partial.Value = 3600
	spo2 := sl
	spo2.Kind, spo2.Sleep, spo2.Value, spo2.RecordID = health.KindSpO2Nightly, nil, 95.5, "3166498161:spo2"
	return health.Batch{Provider: health.ProviderWithings, Source: "sleep-getsummary", Measurements: []health.Measurement{sl, partial, spo2}}
}

func deviceBatch() health.Batch {
	return health.Batch{Provider: health.ProviderWithings, Source: "getdevice", Devices: []health.Device{
		{Provider: health.ProviderWithings, ID: scaleID, Manufacturer: "Withings", Model: "Body+", ModelID: "5",
			Type: health.DeviceScale, ProviderType: "Scale", Battery: 80, BatteryText: "high", TimeZone: "Europe/Amsterdam",
			LastSession: time.Unix(1693867179, 0).UTC()},
		{Provider: health.ProviderWithings, ID: bpmID, Manufacturer: "Withings", Model: "BPM Connect", ModelID: "45",
			Type: health.DeviceBPMonitor, ProviderType: "Blood Pressure Monitor", Battery: -1, Firmware: "2.1.4",
			FirstSession: time.Unix(1680433212, 0).UTC()},
		{Provider: health.ProviderWithings, ID: "aa00", Manufacturer: "Withings", Model: "Aura Sensor V2",
			Type: health.DeviceSleepMonitor, ProviderType: "Sleep Monitor", Battery: -1},
	}}
}

func fitbitECGBatch() health.Batch {
	e := health.Measurement{
		Kind: health.KindECG, Provider: health.ProviderFitbit,
		RecordID: "users/1173016576421350648/dataTypes/electrocardiogram/dataPoints/5542097316428810123",
		Start:    time.Date(2026, 3, 2, 7, 45, 12, 0, time.FixedZone("", -5*3600)), DeviceModel: "Sense 2",
		Origin: health.OriginDevice,
		ECG: &health.ECG{
			Samples: []int32{1092, 2184, -546, 0, 10922, -10922}, SamplingRate: 250, Scale: 1.0 / 10922, ScaleUnit: "mV", Lead: "I",
			Classification: health.Classification{Rhythm: health.RhythmSinus, ProviderCode: "NORMAL_SINUS_RHYTHM"},
			HeartRate:      66, Firmware: "1.2.3", FeatureVersion: "2.0",
		},
	}
	return health.Batch{Provider: health.ProviderFitbit, Source: "electrocardiogram", Measurements: []health.Measurement{e}}
}
