package fitbit

import (
	"strings"

	"github.com/ohx-health/ohx/internal/health"
)

// deviceTypes maps PairedDevice.deviceType (TRACKER|SCALE, §5.2).
func deviceTypes() map[string]health.DeviceType {
	return map[string]health.DeviceType{"TRACKER": health.DeviceActivityTracker, "SCALE": health.DeviceScale}
}

// batteryLevels maps batteryStatus to a representative level, used only
// when batteryLevel is absent.
func batteryLevels() map[string]int {
	return map[string]int{"high": 80, "medium": 50, "low": 20, "empty": 0}
}

// batch converts a pairedDevices page into health devices, with no
// measurements. Device.ID is the paired device's resource name, the only
// id the API gives a device. Paired devices are first-party (§5.2): Pixel
// watches are made by Google, every other product by Fitbit. A repeated
// name keeps its first entry.
func (p pairedDevicesPage) batch() (health.Batch, error) {
	c := newConverter(SourcePairedDevices)
	types, levels := deviceTypes(), batteryLevels()
	seen := map[string]bool{}
	for i := range p.PairedDevices {
		d := &p.PairedDevices[i]
		id := string(d.Name)
		if id == "" {
			return health.Batch{}, c.errorf("pairedDevices["+itoa(i)+"]", "name missing")
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		typ, ok := types[strings.ToUpper(string(d.DeviceType))]
		if !ok {
			typ = health.DeviceUnknown
		}
		dev := health.Device{
			Provider: health.ProviderFitbit, ID: id, Manufacturer: manufacturer(string(d.DeviceVersion)),
			Model: string(d.DeviceVersion), Type: typ, ProviderType: string(d.DeviceType),
			Battery: -1, BatteryText: string(d.BatteryStatus), LastSession: d.LastSyncTime.V,
		}
		switch lvl := d.BatteryLevel; {
		case lvl.Set && lvl.V >= 0 && lvl.V <= 100:
			dev.Battery = int(lvl.V)
		case !lvl.Set:
			if b, ok := levels[strings.ToLower(string(d.BatteryStatus))]; ok {
				dev.Battery = b
			}
		}
		c.batch.Devices = append(c.batch.Devices, dev)
	}
	return c.batch, nil
}

// manufacturer names the maker of a first-party device from its product
// name.
func manufacturer(model string) string {
	if strings.HasPrefix(strings.ToLower(model), "pixel") {
		return "Google"
	}
	return "Fitbit"
}
