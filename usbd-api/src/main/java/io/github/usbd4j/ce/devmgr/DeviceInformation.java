package io.github.usbd4j.ce.devmgr;

/**
 * What the device manager knows of a loaded device: CE's {@code DEVMGR_DEVICE_INFORMATION} without the
 * bus fields (§D3).
 *
 * @param device {@code hDevice}, the handle {@code ActivateDeviceEx} returned
 * @param legacyName {@code szLegacyName}, e.g. {@code "LBK1:"}; empty when the device has none (no
 *     prefix, or an index above 10)
 * @param deviceKey {@code szDeviceKey}: the device key it was activated from
 * @param deviceName {@code szDeviceName}, e.g. {@code "$device\LBK1"}; empty for a device without prefix
 * @param activeKey the path of its Active key, e.g. {@code "Drivers\Active\01"}, which XXX_Init received
 */
public record DeviceInformation(
        ActivationHandle device, String legacyName, String deviceKey, String deviceName, String activeKey) {}
