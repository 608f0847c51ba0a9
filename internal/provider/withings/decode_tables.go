package withings

import (
	"strconv"
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// The tables below are data, built by functions so the package holds no
// mutable state; each decode builds the ones it needs once.

// measType says how one getmeas meastype maps to health.
type measType struct {
	kind health.Kind
	// shift is added to the wire unit to reach the kind's unit (height in
	// m becomes cm: +2).
	shift int
	// wholeBody marks body-composition types that Body Scan also sends per
	// segment (position other than 7); only the whole-body value is kept.
	wholeBody bool
}

// Withings meastypes that are not single values of one kind: the decoder
// folds them into blood pressure and ECG payloads.
const (
	typeDiastolic   = 9
	typeSystolic    = 10
	typePulse       = 11
	typeAFibECG     = 130
	typeQRS         = 135
	typePR          = 136
	typeQT          = 137
	typeQTc         = 138
	typeAFibPPG     = 139
	positionWhole   = 7
	categoryMeasure = 1
)

// measTypes maps Withings meastypes (W-OAS list) to kinds. Types missing
// here are skipped: segmental composition (173-175), extra- and
// intracellular water (168, 169), electrodermal activity (196-198), nerve
// health scores, BMR (226), metabolic age (227), ESC (229) and the legacy
// type 18 have no health kind yet.
func measTypes() map[int]measType {
	return map[int]measType{
		1:           {kind: health.KindBodyWeight},
		4:           {kind: health.KindHeight, shift: 2},
		5:           {kind: health.KindFatFreeMass, wholeBody: true},
		6:           {kind: health.KindFatRatio, wholeBody: true},
		8:           {kind: health.KindFatMass, wholeBody: true},
		typePulse:   {kind: health.KindHeartRate},
		12:          {kind: health.KindBodyTemp},
		54:          {kind: health.KindSpO2},
		71:          {kind: health.KindBodyTemp},
		73:          {kind: health.KindSkinTemp},
		76:          {kind: health.KindMuscleMass, wholeBody: true},
		77:          {kind: health.KindBodyWater, wholeBody: true},
		88:          {kind: health.KindBoneMass, wholeBody: true},
		91:          {kind: health.KindPWV},
		123:         {kind: health.KindVO2Max},
		155:         {kind: health.KindVascularAge},
		170:         {kind: health.KindVisceralFat, wholeBody: true},
		typeAFibPPG: {kind: health.KindAFibPPG},
	}
}

// attribInfo says what a measure group's attrib means for ohx.
type attribInfo struct {
	origin health.Origin
	// skip drops the group: attrib 1 groups were taken by a device but may
	// belong to another person who used it, and publishing them into this
	// patient's record would be a safety risk. When the user claims such a
	// measure, Withings changes its attrib and the lastupdate sync sees it.
	skip bool
}

// attribs maps Withings attrib values. Values missing here (undocumented)
// keep the group with health.OriginUnknown.
func attribs() map[int64]attribInfo {
	return map[int64]attribInfo{
		0:  {origin: health.OriginDevice},
		1:  {origin: health.OriginDevice, skip: true},
		2:  {origin: health.OriginManual},
		4:  {origin: health.OriginManual}, // entered at account creation
		5:  {origin: health.OriginDevice}, // BPM best of several readings
		7:  {origin: health.OriginDevice}, // confirmed by the user
		8:  {origin: health.OriginDevice}, // "same as 0"
		15: {origin: health.OriginDevice}, // guided conditions
		17: {origin: health.OriginDevice}, // undocumented, read as 15 (aiowithings)
	}
}

// rhythms maps Withings AF result codes (getmeas 130/139 and heart list
// ecg.afib, which share 0-2) to the closest health rhythm. The code itself
// is kept in Classification.ProviderCode.
func rhythms() map[int64]health.Rhythm {
	return map[int64]health.Rhythm{
		0:  health.RhythmSinus,        // negative
		1:  health.RhythmAFib,         // positive
		2:  health.RhythmInconclusive, // inconclusive
		3:  health.RhythmUnreadable,   // no signal
		4:  health.RhythmInconclusive, // other
		5:  health.RhythmUnreadable,   // noise
		6:  health.RhythmLowHR,        // low heart rate
		7:  health.RhythmHighHR,       // high heart rate
		8:  health.RhythmInconclusive, // inconclusive (US wording)
		9:  health.RhythmSinus,        // negative, normal heart rate
		10: health.RhythmHighHR,       // negative, high heart rate
		11: health.RhythmAFib,         // positive, normal heart rate
		12: health.RhythmAFib,         // positive, high heart rate
		13: health.RhythmNotAnalyzed,  // no diagnosis
	}
}

// classification returns the health classification of a Withings AF code.
// Unknown codes are inconclusive, with the code kept.
func classification(code int64, table map[int64]health.Rhythm) health.Classification {
	r, ok := table[code]
	if !ok {
		r = health.RhythmInconclusive
	}
	return health.Classification{Rhythm: r, ProviderCode: itoa(code)}
}

// wearPositions names the Heart v2 wearposition codes (also the getmeas
// position table).
func wearPositions() map[int64]string {
	return map[int64]string{
		0: "right wrist", 1: "left wrist", 2: "right arm", 3: "left arm",
		4: "right foot", 5: "left foot", 6: "between legs", 7: "whole body",
		8: "left part of body", 9: "right part of body", 10: "left leg",
		11: "right leg", 12: "torso", 13: "left hand", 14: "right hand",
		28: "wide mode", 29: "between arms", 30: "hold right", 31: "hold left",
	}
}

// modelNames maps Withings model ids to names, for responses that send only
// the id (Heart v2 list, sleep summary) or an empty name.
func modelNames() map[int64]string {
	return map[int64]string{
		1: "WBS01", 4: "Smart Body Analyzer", 5: "Body+", 6: "Body Cardio",
		7: "Body", 9: "Body Pro", 10: "Body Scan", 11: "WBS10", 12: "WBS11",
		13: "Sleep Analyzer", 18: "Body Comp", 44: "BPM Core",
		45: "BPM Connect", 46: "BPM Connect Pro", 47: "BPM Pro 2",
		48: "BPM Vision", 51: "Pulse", 52: "Activite", 55: "Steel HR",
		58: "Pulse HR", 59: "Steel HR Sport", 60: "Aura Dock",
		61: "Aura Sensor", 63: "Aura Sensor V2", 70: "Thermo", 71: "BeamO",
		90: "Move", 91: "Move ECG", 92: "Move ECG", 93: "ScanWatch",
		94: "ScanWatch 2", 95: "ScanWatch Light", 100: "WUP01",
	}
}

// modelName returns the model name Withings sent, else the name of id. A
// name that is a number is a model id (Heart v2 list sends "model": 44 and
// some getmeas captures do the same) and is looked up too; an id missing
// from the table is kept as its number.
func modelName(name FlexString, id FlexInt) string {
	text := strings.TrimSpace(string(name))
	if text == "" {
		if !id.Set {
			return ""
		}
		text = itoa(id.V)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return text
	}
	if known := modelNames()[n]; known != "" {
		return known
	}
	return text
}

// deviceTypes maps the getdevice type names to health device types; other
// names (Babyphone, Gateway, HealthKit …) are health.DeviceUnknown.
func deviceTypes() map[string]health.DeviceType {
	return map[string]health.DeviceType{
		"Scale":                       health.DeviceScale,
		"Blood Pressure Monitor":      health.DeviceBPMonitor,
		"Activity Tracker":            health.DeviceActivityTracker,
		"Sleep Monitor":               health.DeviceSleepMonitor,
		"Smart Connected Thermometer": health.DeviceThermometer,
	}
}

// batteryLevels maps the getdevice battery names to a representative
// percentage: high is >75 %, medium >30 %, low below.
func batteryLevels() map[string]int {
	return map[string]int{"high": 80, "medium": 50, "low": 20}
}
