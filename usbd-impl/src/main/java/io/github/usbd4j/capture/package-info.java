/**
 * Linux usbmon captures: the format Wireshark and tcpdump use for USB on Linux, read from pcap and
 * pcapng files ({@link io.github.usbd4j.capture.CaptureReader}) into records
 * ({@link io.github.usbd4j.capture.UsbmonRecord}), with the format's constants and the one mapping
 * between bus statuses and usbmon's errno values ({@link io.github.usbd4j.capture.Usbmon}).
 *
 * <p>To capture a {@link io.github.usbd4j.host.Usbd} run, give its builder a
 * {@link io.github.usbd4j.host.CaptureTap}; to run a driver against a captured device, attach a
 * {@link io.github.usbd4j.sim.ReplayDevice} to the simulator.
 */
package io.github.usbd4j.capture;
