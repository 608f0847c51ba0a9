package fhir

import (
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// series publishes a regular series the way OHX_INTRADAY says: one
// Observation per hour with valueSampledData (gaps written as "E"), one per
// sample, or none. Per-interval totals such as steps stay one Observation
// per interval whatever the setting, because each interval is a value of
// its own, not a sample of a signal.
func (mp *Mapper) series(j *job, m *health.Measurement, row *mapping) {
	switch {
	case mp.opts.Intraday == IntradayOff:
		return
	case row.Period || mp.opts.Intraday == IntradaySamples:
		mp.samples(j, m, row)
	default:
		mp.hourly(j, m, row)
	}
}

// The identifier suffix of one sample, or of one hour, is its UTC time.
const (
	sampleLayout = "20060102T150405Z"
	hourLayout   = "20060102T15Z"
)

func (mp *Mapper) samples(j *job, m *health.Measurement, row *mapping) {
	s := m.Series
	for i, v := range s.Values {
		if j.err != nil {
			return // the Bundle consumer failed: stop mapping
		}
		if health.IsGap(v) {
			continue
		}
		at := s.At(i)
		o := mp.seriesBase(j, m, row, at, sampleLayout)
		if row.Period {
			o.EffectiveDateTime = ""
			o.EffectivePeriod = &Period{Start: fhirTime(at), End: fhirTime(at.Add(s.Interval))}
		} else {
			o.EffectiveDateTime, o.EffectivePeriod = fhirTime(at), nil
		}
		o.setQuantity(quantityOf(v, row.Unit, row.UnitText))
		j.put(o)
	}
}

// hourly cuts the series at UTC hour boundaries. An hour with no sample at
// all yields no Observation.
func (mp *Mapper) hourly(j *job, m *health.Measurement, row *mapping) {
	s := m.Series
	interval, unit := sampleInterval(s.Interval)
	for i := 0; i < len(s.Values); {
		first := s.At(i)
		hour := first.Truncate(time.Hour)
		n := int((hour.Add(time.Hour).Sub(first) + s.Interval - 1) / s.Interval)
		end := min(i+max(n, 1), len(s.Values))
		if values := s.Values[i:end]; anySample(values) {
			o := mp.seriesBase(j, m, row, hour, hourLayout)
			o.EffectiveDateTime = ""
			o.EffectivePeriod = &Period{Start: fhirTime(s.At(i)), End: fhirTime(s.At(end))}
			o.ValueSampledData = &SampledData{
				Origin:       Quantity{Value: 0, Unit: row.UnitText, System: SystemUCUM, Code: row.Unit},
				Interval:     interval,
				IntervalUnit: unit,
				Dimensions:   1,
				Data:         SeriesSamples(values),
			}
			j.put(o)
		}
		i = end
	}
}

// sampleInterval expresses the sampling interval in whole seconds when it
// is one, in milliseconds otherwise.
func sampleInterval(d time.Duration) (float64, string) {
	if d%time.Second == 0 {
		return d.Seconds(), "s"
	}
	return float64(d) / float64(time.Millisecond), "ms"
}
