package withings

// HeartListPage is the body of a Heart v2 list response: one item per ECG
// (or BPM Core) recording, without the waveform.
type HeartListPage struct {
	Series []HeartRecord `json:"series"`
	More   FlexBool      `json:"more"`
	Offset FlexInt       `json:"offset"`
}

// HeartRecord is one Heart v2 list item. Model is the model id as an int
// here (44 BPM Core, 91 Move ECG, 93 ScanWatch). BloodPressure is present
// only for BPM Core.
type HeartRecord struct {
	DeviceID      FlexString     `json:"deviceid"`
	HashDeviceID  FlexString     `json:"hash_deviceid"`
	Model         FlexString     `json:"model"`
	ModelID       FlexInt        `json:"model_id"`
	ECG           HeartECG       `json:"ecg"`
	BloodPressure *HeartPressure `json:"bloodpressure"`
	HeartRate     FlexFloat      `json:"heart_rate"`
	Timestamp     FlexInt        `json:"timestamp"`
	Timezone      FlexString     `json:"timezone"`
	Modified      FlexInt        `json:"modified"`
}

// HeartPressure is the blood pressure a BPM Core took with its ECG, in mmHg.
type HeartPressure struct {
	Diastole FlexFloat `json:"diastole"`
	Systole  FlexFloat `json:"systole"`
}

// HeartECG is the ecg object of a list item: the signal id and the AF
// classification (0 negative, 1 positive, 2 inconclusive), plus, when the
// caller merged them in from Heart v2 get, the waveform fields. The interval
// fields (ms) appear when the list was requested with intervals.
type HeartECG struct {
	SignalID FlexInt   `json:"signalid"`
	AFib     FlexInt   `json:"afib"`
	QRS      FlexFloat `json:"qrs"`
	PR       FlexFloat `json:"pr"`
	QT       FlexFloat `json:"qt"`
	QTc      FlexFloat `json:"qtc"`

	HeartSignal
}

// HeartSignal is the body of a Heart v2 get response: the waveform in µV,
// its sampling frequency in Hz, and where the device was worn (see
// wearPositions).
type HeartSignal struct {
	Signal            []float64 `json:"signal"`
	SamplingFrequency FlexFloat `json:"sampling_frequency"`
	WearPosition      FlexInt   `json:"wearposition"`
	// Model and HeartRate repeat the list item's fields.
	Model     FlexString `json:"model"`
	HeartRate FlexFloat  `json:"heart_rate"`
}

// DecodeHeartListPage decodes a Heart v2 list response (envelope or body).
func DecodeHeartListPage(data []byte) (HeartListPage, error) {
	var page HeartListPage
	if err := decodeBody(SourceHeartList, data, &page); err != nil {
		return HeartListPage{}, err
	}
	return page, nil
}

// DecodeHeartSignal decodes a Heart v2 get response (envelope or body). The
// client fetches one per list item and attaches it with SetSignal.
func DecodeHeartSignal(data []byte) (HeartSignal, error) {
	var sig HeartSignal
	if err := decodeBody("heart-get", data, &sig); err != nil {
		return HeartSignal{}, err
	}
	return sig, nil
}

// SetSignal attaches the waveform of a Heart v2 get response to the list
// item, as if it had been sent inside its ecg object.
func (r *HeartRecord) SetSignal(sig HeartSignal) {
	r.ECG.HeartSignal = sig
}
