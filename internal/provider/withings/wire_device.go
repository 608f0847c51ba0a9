package withings

// DevicePage is the body of a User v2 getdevice response.
type DevicePage struct {
	Devices []WireDevice `json:"devices"`
}

// WireDevice is one device linked to the user's Withings account. Type is
// e.g. "Scale" or "Blood Pressure Monitor"; Battery is "high" (>75%),
// "medium" (>30%), "low" or "unknown". Firmware (fw) and the network fields
// are sent only to advanced partners and are usually absent.
type WireDevice struct {
	Type             FlexString `json:"type"`
	Battery          FlexString `json:"battery"`
	Model            FlexString `json:"model"`
	ModelID          FlexInt    `json:"model_id"`
	Timezone         FlexString `json:"timezone"`
	FirstSessionDate FlexInt    `json:"first_session_date"`
	LastSessionDate  FlexInt    `json:"last_session_date"`
	DeviceID         FlexString `json:"deviceid"`
	HashDeviceID     FlexString `json:"hash_deviceid"`
	Firmware         FlexString `json:"fw"`
}

// DecodeDevicePage decodes a getdevice response (envelope or body).
func DecodeDevicePage(data []byte) (DevicePage, error) {
	var page DevicePage
	if err := decodeBody(SourceGetdevice, data, &page); err != nil {
		return DevicePage{}, err
	}
	return page, nil
}
