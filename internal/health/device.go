package health

import "time"

// DeviceType is the kind of device, used to code Device.type in FHIR.
type DeviceType string

// The device types ohx distinguishes. Decoders map the provider's own type
// names (Withings "Blood Pressure Monitor", Google form factors) onto these.
const (
	DeviceUnknown         DeviceType = "unknown"
	DeviceScale           DeviceType = "scale"
	DeviceBPMonitor       DeviceType = "bp_monitor"
	DeviceActivityTracker DeviceType = "activity_tracker"
	DeviceSmartwatch      DeviceType = "smartwatch"
	DeviceSleepMonitor    DeviceType = "sleep_monitor"
	DeviceThermometer     DeviceType = "thermometer"
	DevicePulseOximeter   DeviceType = "pulse_oximeter"
	DevicePhone           DeviceType = "phone"
)

// Device is a device a provider reports for a user.
type Device struct {
	// Provider is the provider that reported the device.
	Provider Provider
	// ID is the provider's device id (Withings deviceid, Google paired
	// device name); Measurement.Device refers to it.
	ID string
	// Manufacturer is e.g. "Withings" or "Google".
	Manufacturer string
	// Model is the model name, e.g. "Body+"; ModelID the provider's model
	// number as text, e.g. "5".
	Model   string
	ModelID string
	// Type is the normalised device type; ProviderType the provider's own
	// name for it, e.g. "Scale".
	Type         DeviceType
	ProviderType string
	// Firmware is the firmware version, when reported.
	Firmware string
	// Battery is the battery level in %, -1 when unknown. Withings reports
	// a level name; decoders map it to a representative percentage and
	// keep the name in BatteryText.
	Battery     int
	BatteryText string
	// FirstSession and LastSession bound the device's use, when reported.
	FirstSession time.Time
	LastSession  time.Time
	// TimeZone is the device's IANA time zone, when reported.
	TimeZone string
	// Ended, when set, is when the device stopped being this patient's: the
	// provider no longer lists it, or the patient unlinked the account. The
	// mapping then ends the association instead of describing the device.
	Ended time.Time
}
