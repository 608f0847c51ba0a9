package fitbit

// electrocardiogram is an Electrocardiogram reading (§4.2). The samples are
// int32 on the wire; they are read as Float so that a fractional or
// out-of-range sample is reported with its index rather than as a bare
// field error.
type electrocardiogram struct {
	Interval                *interval `json:"interval"`
	BeatsPerMinuteAvg       Int64     `json:"beatsPerMinuteAvg"`
	LeadNumber              Int64     `json:"leadNumber"`
	ResultClassification    Text      `json:"resultClassification"`
	SamplingFrequencyHertz  Float     `json:"samplingFrequencyHertz"`
	MillivoltsScalingFactor Float     `json:"millivoltsScalingFactor"`
	WaveformSamples         []Float   `json:"waveformSamples"`
	MedicalDeviceInfo       *struct {
		DeviceModel     Text `json:"deviceModel"`
		FirmwareVersion Text `json:"firmwareVersion"`
		FeatureVersion  Text `json:"featureVersion"`
	} `json:"medicalDeviceInfo"`
}
