package health

import "time"

// Sleep is one sleep session; the Measurement's Start and End bound it and
// its Value is the time asleep in seconds. Durations the provider did not
// report are negative (see Unknown), because zero minutes of REM is a real
// value and must stay distinguishable from "not measured".
type Sleep struct {
	InBed   time.Duration // total time in bed
	Asleep  time.Duration // total time asleep
	Awake   time.Duration // time awake after first falling asleep
	Light   time.Duration
	Deep    time.Duration
	REM     time.Duration
	Latency time.Duration // time to fall asleep
	// Awakenings is the number of times the user woke up, -1 if unknown.
	Awakenings int
	// Efficiency is time asleep over time in bed, in %, -1 if unknown.
	Efficiency float64
	// Score is the provider's own sleep score (0-100), -1 if unknown. It is a
	// provider-specific index, mapped with an ohx code, never a LOINC.
	Score float64
	// Stages are the contiguous stage segments, in time order, when the
	// provider reported them.
	Stages []SleepStage
}

// Unknown is the duration that marks a Sleep field the provider did not
// report.
const Unknown time.Duration = -1

// NewSleep returns a Sleep with every field marked unknown, so decoders set
// only what the provider reported.
func NewSleep() *Sleep {
	return &Sleep{
		InBed: Unknown, Asleep: Unknown, Awake: Unknown, Light: Unknown,
		Deep: Unknown, REM: Unknown, Latency: Unknown,
		Awakenings: -1, Efficiency: -1, Score: -1,
	}
}

// Stage is a sleep stage.
type Stage string

// The sleep stages ohx distinguishes; providers that only know asleep/awake
// (Google CLASSIC sleep) use StageAsleep and StageRestless.
const (
	StageAwake    Stage = "awake"
	StageLight    Stage = "light"
	StageDeep     Stage = "deep"
	StageREM      Stage = "rem"
	StageAsleep   Stage = "asleep"
	StageRestless Stage = "restless"
	StageOutOfBed Stage = "out_of_bed"
)

// SleepStage is one segment of a sleep session.
type SleepStage struct {
	Stage Stage
	Start time.Time
	End   time.Time
}

// Rhythm is a heart rhythm classification, shared by ECG and PPG results.
type Rhythm string

// The rhythm classes ohx maps. Providers have finer codes (Withings has 14);
// decoders keep those in Classification.ProviderCode and pick the closest of
// these for the coded mapping.
const (
	RhythmSinus        Rhythm = "sinus_rhythm"
	RhythmAFib         Rhythm = "atrial_fibrillation"
	RhythmInconclusive Rhythm = "inconclusive"
	RhythmHighHR       Rhythm = "inconclusive_high_heart_rate"
	RhythmLowHR        Rhythm = "inconclusive_low_heart_rate"
	RhythmUnreadable   Rhythm = "unreadable"
	RhythmNotAnalyzed  Rhythm = "not_analyzed"
)

// Classification is a rhythm result with the provider's own code kept, so the
// mapping can record both the normalised class and what the provider said.
type Classification struct {
	Rhythm Rhythm
	// ProviderCode is the provider's code as text, e.g. Withings "2" or
	// Google "INCONCLUSIVE_HIGH_HEART_RATE".
	ProviderCode string
}

// ECG is one single-lead ECG recording. The waveform is kept whole: physical
// sample i is Samples[i] × Scale in ScaleUnit.
type ECG struct {
	// SignalID is the provider's id of the recording (Withings signalid).
	SignalID string
	// Samples are the raw integer samples, in recording order.
	Samples []int32
	// SamplingRate is in Hz.
	SamplingRate float64
	// Scale converts a raw sample to ScaleUnit: 1 for Withings (µV), and
	// 1/millivoltsScalingFactor for Google (mV).
	Scale float64
	// ScaleUnit is "uV" or "mV" (UCUM).
	ScaleUnit string
	// Lead is the lead name, "I" for every wrist or cuff ECG ohx knows.
	Lead string
	// Position is the provider's wear position as text, when given.
	Position string
	// Classification is the device's rhythm result; Rhythm is empty if none.
	Classification Classification
	// HeartRate is the average heart rate in /min derived from the
	// recording, 0 when the provider gave none.
	HeartRate float64
	// QRS, PR, QT and QTc are interval durations in ms, 0 when unknown.
	QRS, PR, QT, QTc float64
	// Firmware and FeatureVersion describe the recording device's
	// software, when the provider reports them (the model is
	// Measurement.DeviceModel).
	Firmware       string
	FeatureVersion string
}
