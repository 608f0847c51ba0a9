package fitbit

import (
	"math"
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

const sourceECG = "electrocardiogram"

// rhythms maps resultClassification (§4.2) to the rhythm classes ohx codes;
// the Google code is kept as the provider code either way.
func rhythms() map[string]health.Rhythm {
	return map[string]health.Rhythm{
		"NORMAL_SINUS_RHYTHM":          health.RhythmSinus,
		"ATRIAL_FIBRILLATION":          health.RhythmAFib,
		"INCONCLUSIVE":                 health.RhythmInconclusive,
		"INCONCLUSIVE_HIGH_HEART_RATE": health.RhythmHighHR,
		"INCONCLUSIVE_LOW_HEART_RATE":  health.RhythmLowHR,
		"UNREADABLE":                   health.RhythmUnreadable,
		"NOT_ANALYZED":                 health.RhythmNotAnalyzed,
	}
}

// leads names the lead of leadNumber; a wrist ECG records lead I, and proto3
// omits the number when it is unset, so absent means I.
func leads() map[int64]string { return map[int64]string{0: "I", 1: "I", 2: "II", 3: "III"} }

// ecg converts point i of an electrocardiogram list. The reading is an
// instant (start == end, §4.2); historical readings lack offsets and stay
// in UTC. The waveform is kept whole: sample k in mV is
// waveformSamples[k] / millivoltsScalingFactor. Whether ECG points carry a
// name is not documented (§12): the name is used when present, else an id
// built from the reading time and source.
func (c *converter) ecg(i int, p *dataPoint) error {
	x := p.Electrocardiogram
	if x == nil {
		return c.errorf(at(i), "no electrocardiogram value")
	}
	where := at(i) + ".electrocardiogram"
	iv := x.Interval
	if iv == nil || !iv.StartTime.Set {
		return c.errorf(where+".interval.startTime", "missing")
	}
	m := health.Measurement{Kind: health.KindECG, Start: c.instant(iv.StartTime, iv.StartUTCOffset)}
	if iv.EndTime.Set {
		if iv.EndTime.V.Before(iv.StartTime.V) {
			return c.errorf(where+".interval", "endTime before startTime")
		}
		if iv.EndTime.V.After(iv.StartTime.V) {
			m.End = c.instant(iv.EndTime, iv.EndUTCOffset)
		}
	}
	id, err := c.recordID(i, idNameOrSynthetic, p, utcKey(m.Start))
	if err != nil {
		return err
	}
	m.RecordID = id
	attribute(&m, p)
	e, err := c.ecgPayload(where, x)
	if err != nil {
		return err
	}
	if info := x.MedicalDeviceInfo; info != nil {
		e.Firmware, e.FeatureVersion = string(info.FirmwareVersion), string(info.FeatureVersion)
		if info.DeviceModel != "" {
			m.DeviceModel = string(info.DeviceModel) // the model-level attribution (§5.1)
		}
	}
	m.ECG = e
	c.add(m)
	return nil
}

// ecgPayload converts the waveform, scale, lead and classification.
func (c *converter) ecgPayload(where string, x *electrocardiogram) (*health.ECG, error) {
	lead, ok := leads()[x.LeadNumber.V]
	if !ok {
		return nil, c.errorf(where+".leadNumber", "not a known lead")
	}
	e := &health.ECG{Lead: lead, HeartRate: float64(x.BeatsPerMinuteAvg.V)}
	if f := x.MillivoltsScalingFactor.V; f > 0 {
		e.Scale, e.ScaleUnit = 1/f, "mV"
	}
	if r := x.SamplingFrequencyHertz.V; r > 0 {
		e.SamplingRate = r
	}
	if len(x.WaveformSamples) > 0 {
		switch {
		case e.SamplingRate <= 0:
			return nil, c.errorf(where, "waveformSamples without a positive samplingFrequencyHertz")
		case e.ScaleUnit == "":
			return nil, c.errorf(where, "waveformSamples without a positive millivoltsScalingFactor")
		}
		e.Samples = make([]int32, len(x.WaveformSamples))
		for k, s := range x.WaveformSamples {
			if !s.Set || s.V != math.Trunc(s.V) || s.V < math.MinInt32 || s.V > math.MaxInt32 {
				return nil, c.errorf(where+".waveformSamples["+itoa(k)+"]", "not a 32-bit integer")
			}
			e.Samples[k] = int32(s.V)
		}
	}
	if code := strings.TrimSpace(string(x.ResultClassification)); code != "" {
		e.Classification = health.Classification{Rhythm: rhythms()[strings.ToUpper(code)], ProviderCode: code}
	}
	return e, nil
}
