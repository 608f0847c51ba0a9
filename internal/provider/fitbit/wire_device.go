package fitbit

// pairedDevicesPage is a users.pairedDevices.list response (§5.2, §8.8).
type pairedDevicesPage struct {
	PairedDevices []pairedDevice `json:"pairedDevices"`
	NextPageToken Text           `json:"nextPageToken"`
}

// pairedDevice is a PairedDevice: a first-party tracker, watch or scale.
// The MAC address and feature list are not read: ohx has no use for them
// and the MAC is an identifier of the person's hardware.
type pairedDevice struct {
	Name          Text      `json:"name"`
	DeviceType    Text      `json:"deviceType"`
	DeviceVersion Text      `json:"deviceVersion"`
	BatteryStatus Text      `json:"batteryStatus"`
	BatteryLevel  Int64     `json:"batteryLevel"`
	LastSyncTime  Timestamp `json:"lastSyncTime"`
}
