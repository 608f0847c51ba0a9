package fhir

import (
	"strconv"

	"github.com/ohx-health/ohx/internal/health"
)

// Samples is the text of SampledData.data, kept as the samples themselves
// and written out only when the resource is encoded: a day of per-second
// samples is never held twice (as numbers and as text) while Bundles are
// built, and building them costs almost nothing beyond encoding.
type Samples struct {
	values []float64 // a series' values; gaps (health.IsGap) are written "E"
	ints   []int32   // raw ECG samples
}

// SeriesSamples wraps series values, which it does not copy.
func SeriesSamples(values []float64) Samples { return Samples{values: values} }

// IntSamples wraps raw integer samples, which it does not copy.
func IntSamples(ints []int32) Samples { return Samples{ints: ints} }

// IsZero reports whether there are no samples, for omitzero.
func (s Samples) IsZero() bool { return len(s.values) == 0 && len(s.ints) == 0 }

// String renders the samples as FHIR writes them: decimals separated by
// single spaces, "E" for a gap.
func (s Samples) String() string { return string(s.appendText(nil)) }

// MarshalText writes the samples; encoding/json quotes the text as a
// string (cheaper than MarshalJSON, whose output it would re-validate).
func (s Samples) MarshalText() ([]byte, error) {
	return s.appendText(make([]byte, 0, 4*(len(s.values)+len(s.ints)))), nil
}

func (s Samples) appendText(b []byte) []byte {
	for i, v := range s.values {
		if i > 0 {
			b = append(b, ' ')
		}
		if health.IsGap(v) {
			b = append(b, 'E')
			continue
		}
		b = formatSample(b, v)
	}
	for i, v := range s.ints {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return b
}

// anySample reports whether values hold at least one sample that is not a
// gap.
func anySample(values []float64) bool {
	for _, v := range values {
		if !health.IsGap(v) {
			return true
		}
	}
	return false
}
