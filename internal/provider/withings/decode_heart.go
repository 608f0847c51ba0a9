package withings

import (
	"math"

	"github.com/ohx-health/ohx/internal/health"
)

// Batch converts a Heart v2 list page: one KindECG measurement per
// recording, record id the signalid. The classification, heart rate and
// intervals come from the list item; the waveform comes from the Heart v2
// get fields (signal in µV, sampling_frequency, wearposition) when they were
// merged into the item's ecg object (see HeartRecord.SetSignal), and is
// kept whole. The lead is I: every Withings ECG device records one lead
// between two hands or hand and arm.
//
// Items without an ecg signalid (stethoscope-only BPM Core recordings) are
// skipped. The blood pressure a BPM Core sends with its ECG is not mapped
// here: the same reading arrives through getmeas with its own group id, and
// mapping it twice would publish it twice.
func (p HeartListPage) Batch() (health.Batch, error) {
	c := newConverter(SourceHeartList)
	rh := rhythms()
	for i := range p.Series {
		r := &p.Series[i]
		if !r.ECG.SignalID.Set {
			continue
		}
		if !r.Timestamp.Set {
			return health.Batch{}, health.Errorf(health.KindBadProvider,
				"withings heart-list: series[%d]: timestamp missing", i)
		}
		ecg, err := heartECG(r, i, rh)
		if err != nil {
			return health.Batch{}, err
		}
		loc := c.zone(r.Timezone)
		if c.batch.TimeZone == "" {
			c.batch.TimeZone = zoneName(loc)
		}
		c.add(health.Measurement{
			Kind:        health.KindECG,
			RecordID:    ecg.SignalID,
			Start:       unixIn(r.Timestamp.V, loc),
			TimeZone:    zoneName(loc),
			Modified:    optTime(r.Modified, loc),
			Device:      deviceID(r.DeviceID, r.HashDeviceID),
			DeviceModel: heartModel(r),
			Origin:      health.OriginDevice,
			ECG:         ecg,
		})
	}
	return c.batch, nil
}

// heartECG builds the ECG payload of list item i.
func heartECG(r *HeartRecord, i int, rh map[int64]health.Rhythm) (*health.ECG, error) {
	e := &r.ECG
	ecg := &health.ECG{
		SignalID: itoa(e.SignalID.V),
		Lead:     "I",
		QRS:      e.QRS.V,
		PR:       e.PR.V,
		QT:       e.QT.V,
		QTc:      e.QTc.V,
	}
	if e.AFib.Set {
		ecg.Classification = classification(e.AFib.V, rh)
	}
	ecg.HeartRate = r.HeartRate.V
	if !r.HeartRate.Set {
		ecg.HeartRate = e.HeartRate.V
	}
	if e.WearPosition.Set {
		ecg.Position = wearPositions()[e.WearPosition.V]
		if ecg.Position == "" {
			ecg.Position = itoa(e.WearPosition.V)
		}
	}
	if len(e.Signal) == 0 {
		return ecg, nil
	}
	if !e.SamplingFrequency.Set || e.SamplingFrequency.V <= 0 {
		return nil, health.Errorf(health.KindBadProvider,
			"withings heart-list: series[%d].ecg: signal without a positive sampling_frequency", i)
	}
	samples, err := signalSamples(e.Signal, i)
	if err != nil {
		return nil, err
	}
	ecg.Samples, ecg.SamplingRate = samples, e.SamplingFrequency.V
	ecg.Scale, ecg.ScaleUnit = 1, "uV"
	return ecg, nil
}

// signalSamples converts the µV waveform to int32 samples, all of them.
func signalSamples(signal []float64, i int) ([]int32, error) {
	out := make([]int32, len(signal))
	for j, v := range signal {
		if v != math.Trunc(v) || v < math.MinInt32 || v > math.MaxInt32 {
			return nil, health.Errorf(health.KindBadProvider,
				"withings heart-list: series[%d].ecg.signal[%d]: not a 32-bit integer", i, j)
		}
		out[j] = int32(v)
	}
	return out, nil
}

// heartModel names the model of a list item, which sends the model id as
// an int in "model"; a merged get body may repeat it.
func heartModel(r *HeartRecord) string {
	if name := modelName(r.Model, r.ModelID); name != "" {
		return name
	}
	return modelName(r.ECG.Model, FlexInt{})
}
