package fitbit

import (
	"github.com/ohx-health/ohx/internal/health"
)

// timing says which time container a data type's points carry (§3.9).
type timing int

const (
	timeSample   timing = iota // sampleTime {physicalTime, utcOffset}
	timeInterval               // interval {startTime, endTime, offsets}
	timeDaily                  // date {year, month, day}, the user's civil day
)

// identity says how a data type's points are identified (§10.7).
type identity int

const (
	// idSynthetic: the type has no resource name; the id is built from the
	// data type, time and source (see syntheticID). A name, should one
	// appear, is not used, so a record's id never depends on whether the
	// API happened to send one.
	idSynthetic identity = iota
	// idName: the type is identifiable; a point without a name is an error.
	idName
	// idNameOrSynthetic: the type supports get, but whether list points
	// carry a name is not documented; the name is used when present.
	idNameOrSynthetic
)

// missing says what an absent value field means.
type missing int

const (
	// required: proto3 omits zero, and zero is no reading of this kind
	// (no heart rate, weight or saturation is 0), so absence is malformed.
	required missing = iota
	// zero: "Empty records (omitting the metric-specific field …)
	// represent true zeros" for interval counts (§3.8).
	zero
	// optional: the field may be absent; nothing is emitted then.
	optional
)

// value is one measurement a point yields, already in the kind's unit.
type value struct {
	kind    health.Kind
	field   string // the JSON field, for error messages
	v       float64
	set     bool
	missing missing
}

// reading is what a data type's point holds: its time container and values.
type reading struct {
	sample *sampleTime
	iv     *interval
	day    *date
	values []value
}

// scalarSpec describes a data type whose points map to plain values.
type scalarSpec struct {
	source string // the data type id, kebab-case
	field  string // the union key, camelCase
	timing timing
	ids    identity
	// read returns the point's reading, and false when the point lacks the
	// union key of this data type.
	read func(p *dataPoint) (reading, bool)
}

// scalarType looks up the spec of a data type.
func scalarType(source string) (scalarSpec, bool) {
	for _, t := range scalarTypes() {
		if t.source == source {
			return t, true
		}
	}
	return scalarSpec{}, false
}

// fromInt converts an int64 field to the kind's unit by dividing by div
// (1 for none); dividing by an exact power of ten rounds once, so 90200 g
// is 90.2 kg, not 90.20000000000002.
func fromInt(n Int64, div float64) (float64, bool) { return float64(n.V) / div, n.Set }

// fromFloat is fromInt for double fields.
func fromFloat(f Float, div float64) (float64, bool) { return f.V / div, f.Set }

// val builds a value from a converted field.
func val(kind health.Kind, field string, m missing, v float64, set bool) value {
	return value{kind: kind, field: field, v: v, set: set, missing: m}
}

// scalarTypes is the mapping table of the plain-value data types: which
// field holds what, in which unit (§4), and which kind it becomes. Units
// follow the field names: grams, millimetres, kcal, ms, °C, %.
func scalarTypes() []scalarSpec {
	return []scalarSpec{
		{"heart-rate", "heartRate", timeSample, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.HeartRate
			if x == nil {
				return reading{}, false
			}
			v, ok := fromInt(x.BeatsPerMinute, 1)
			return reading{sample: x.SampleTime, values: []value{val(health.KindHeartRate, "beatsPerMinute", required, v, ok)}}, true
		}},
		{"daily-resting-heart-rate", "dailyRestingHeartRate", timeDaily, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.DailyRestingHeartRate
			if x == nil {
				return reading{}, false
			}
			v, ok := fromInt(x.BeatsPerMinute, 1)
			return reading{day: x.Date, values: []value{val(health.KindRestingHR, "beatsPerMinute", required, v, ok)}}, true
		}},
		{"heart-rate-variability", "heartRateVariability", timeSample, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.HeartRateVariability
			if x == nil {
				return reading{}, false
			}
			// RMSSD and SDNN are different statistics with different
			// codes; each goes to its own kind, never one for the other.
			rmssd, okR := fromFloat(x.RMSSD, 1)
			sdnn, okS := fromFloat(x.SDNN, 1)
			return reading{sample: x.SampleTime, values: []value{
				val(health.KindHRVRMSSD, "rootMeanSquareOfSuccessiveDifferencesMilliseconds", optional, rmssd, okR),
				val(health.KindHRVSDNN, "standardDeviationMilliseconds", optional, sdnn, okS),
			}}, true
		}},
		{"daily-heart-rate-variability", "dailyHeartRateVariability", timeDaily, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.DailyHeartRateVariability
			if x == nil {
				return reading{}, false
			}
			// The daily average is an RMSSD (§4); "at least one" of the
			// daily fields is present, so it may be absent.
			v, ok := fromFloat(x.Average, 1)
			return reading{day: x.Date, values: []value{val(health.KindHRVRMSSD, "averageHeartRateVariabilityMilliseconds", optional, v, ok)}}, true
		}},
		{"steps", "steps", timeInterval, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.Steps
			if x == nil {
				return reading{}, false
			}
			v, ok := fromInt(x.Count, 1)
			return reading{iv: x.Interval, values: []value{val(health.KindSteps, "count", zero, v, ok)}}, true
		}},
		{"distance", "distance", timeInterval, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.Distance
			if x == nil {
				return reading{}, false
			}
			v, ok := fromInt(x.Millimeters, 1000) // mm → m
			return reading{iv: x.Interval, values: []value{val(health.KindDistance, "millimeters", zero, v, ok)}}, true
		}},
		{"floors", "floors", timeInterval, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.Floors
			if x == nil {
				return reading{}, false
			}
			v, ok := fromInt(x.Count, 1)
			return reading{iv: x.Interval, values: []value{val(health.KindFloors, "count", zero, v, ok)}}, true
		}},
		{"altitude", "altitude", timeInterval, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.Altitude
			if x == nil {
				return reading{}, false
			}
			v, ok := fromInt(x.GainMillimeters, 1000) // gain in mm → m gained
			return reading{iv: x.Interval, values: []value{val(health.KindElevation, "gainMillimeters", zero, v, ok)}}, true
		}},
		{"active-energy-burned", "activeEnergyBurned", timeInterval, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.ActiveEnergyBurned
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.Kcal, 1)
			return reading{iv: x.Interval, values: []value{val(health.KindActiveEnergy, "kcal", zero, v, ok)}}, true
		}},
		{"weight", "weight", timeSample, idName, func(p *dataPoint) (reading, bool) {
			x := p.Weight
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.WeightGrams, 1000) // g → kg
			return reading{sample: x.SampleTime, values: []value{val(health.KindBodyWeight, "weightGrams", required, v, ok)}}, true
		}},
		{"body-fat", "bodyFat", timeSample, idName, func(p *dataPoint) (reading, bool) {
			x := p.BodyFat
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.Percentage, 1)
			return reading{sample: x.SampleTime, values: []value{val(health.KindFatRatio, "percentage", required, v, ok)}}, true
		}},
		{"height", "height", timeSample, idName, func(p *dataPoint) (reading, bool) {
			x := p.Height
			if x == nil {
				return reading{}, false
			}
			v, ok := fromInt(x.HeightMillimeters, 10) // mm → cm
			return reading{sample: x.SampleTime, values: []value{val(health.KindHeight, "heightMillimeters", required, v, ok)}}, true
		}},
		{"oxygen-saturation", "oxygenSaturation", timeSample, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.OxygenSaturation
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.Percentage, 1)
			return reading{sample: x.SampleTime, values: []value{val(health.KindSpO2, "percentage", required, v, ok)}}, true
		}},
		{"daily-oxygen-saturation", "dailyOxygenSaturation", timeDaily, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.DailyOxygenSaturation
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.AveragePercentage, 1)
			return reading{day: x.Date, values: []value{val(health.KindSpO2Nightly, "averagePercentage", required, v, ok)}}, true
		}},
		{"daily-respiratory-rate", "dailyRespiratoryRate", timeDaily, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.DailyRespiratoryRate
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.BreathsPerMinute, 1)
			return reading{day: x.Date, values: []value{val(health.KindRespRate, "breathsPerMinute", required, v, ok)}}, true
		}},
		{"respiratory-rate-sleep-summary", "respiratoryRateSleepSummary", timeSample, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.RespiratoryRateSleepSummary
			if x == nil {
				return reading{}, false
			}
			var v float64
			var ok bool
			if x.FullSleepStats != nil {
				v, ok = fromFloat(x.FullSleepStats.BreathsPerMinute, 1)
			}
			return reading{sample: x.SampleTime, values: []value{val(health.KindRespRate, "fullSleepStats.breathsPerMinute", required, v, ok)}}, true
		}},
		{"daily-sleep-temperature-derivations", "dailySleepTemperatureDerivations", timeDaily, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.DailySleepTemperatureDerivations
			if x == nil {
				return reading{}, false
			}
			// The nightly value is the mean skin temperature during sleep,
			// an absolute °C value (not the deviation from baseline).
			v, ok := fromFloat(x.NightlyTemperatureCelsius, 1)
			return reading{day: x.Date, values: []value{val(health.KindSkinTemp, "nightlyTemperatureCelsius", required, v, ok)}}, true
		}},
		{"core-body-temperature", "coreBodyTemperature", timeSample, idNameOrSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.CoreBodyTemperature
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.TemperatureCelsius, 1)
			return reading{sample: x.SampleTime, values: []value{val(health.KindBodyTemp, "temperatureCelsius", required, v, ok)}}, true
		}},
		{"vo2-max", "vo2Max", timeSample, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.VO2Max
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.VO2Max, 1) // ml/kg/min, the kind's unit
			return reading{sample: x.SampleTime, values: []value{val(health.KindVO2Max, "vo2Max", required, v, ok)}}, true
		}},
		{"daily-vo2-max", "dailyVo2Max", timeDaily, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.DailyVO2Max
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.VO2Max, 1)
			return reading{day: x.Date, values: []value{val(health.KindVO2Max, "vo2Max", required, v, ok)}}, true
		}},
		{"run-vo2-max", "runVo2Max", timeSample, idSynthetic, func(p *dataPoint) (reading, bool) {
			x := p.RunVO2Max
			if x == nil {
				return reading{}, false
			}
			v, ok := fromFloat(x.RunVO2Max, 1)
			return reading{sample: x.SampleTime, values: []value{val(health.KindVO2Max, "runVo2Max", required, v, ok)}}, true
		}},
	}
}

// scalar converts point i of a plain-value data type.
func (c *converter) scalar(i int, p *dataPoint) error {
	t := &c.spec
	r, ok := t.read(p)
	if !ok {
		return c.errorf(at(i), "no %s value", t.field)
	}
	where := at(i) + "." + t.field
	var m health.Measurement
	var timeKey string
	switch t.timing {
	case timeSample:
		if r.sample == nil || !r.sample.PhysicalTime.Set {
			return c.errorf(where+".sampleTime.physicalTime", "missing")
		}
		m.Start = c.instant(r.sample.PhysicalTime, r.sample.UTCOffset)
		timeKey = utcKey(m.Start)
	case timeInterval:
		start, end, err := c.span(r.iv, where+".interval")
		if err != nil {
			return err
		}
		m.Start, m.End = start, end
		timeKey = utcKey(start) + "/" + utcKey(end)
	case timeDaily:
		day, ok := civilDate(r.day)
		if !ok {
			return c.errorf(where+".date", "missing or not a calendar date")
		}
		m.Day, timeKey = day, day
	}
	id, err := c.recordID(i, t.ids, p, timeKey)
	if err != nil {
		return err
	}
	m.RecordID = id
	attribute(&m, p)
	for _, v := range r.values {
		if !v.set {
			switch v.missing {
			case required:
				return c.errorf(where+"."+v.field, "missing")
			case optional:
				continue
			}
		}
		m.Kind, m.Value = v.kind, v.v
		c.add(m)
	}
	return nil
}

// recordID identifies point i by its name or by a synthetic id, per rule.
func (c *converter) recordID(i int, rule identity, p *dataPoint, timeKey string) (string, error) {
	name := pointName(p)
	switch {
	case rule == idName && name == "":
		return "", c.errorf(at(i), "name missing")
	case rule != idSynthetic && name != "":
		return name, nil
	}
	return syntheticID(c.source, timeKey, p.DataSource), nil
}
