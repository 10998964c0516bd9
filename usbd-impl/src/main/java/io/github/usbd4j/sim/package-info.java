/**
 * The simulated USB host controller and its device models: run drivers against devices that exist only
 * in software, in virtual or real time, with exact frame numbers and deterministic fault injection.
 *
 * <p>Start with {@link io.github.usbd4j.sim.SimulatedHostController#builder()}, attach
 * {@link io.github.usbd4j.sim.DeviceModel}s (built in, or your own: descriptors, class/vendor requests,
 * one {@link io.github.usbd4j.sim.EndpointHandler} per endpoint), and advance the clock. Faults are
 * described by a {@link io.github.usbd4j.sim.FaultPlan} and recorded as
 * {@link io.github.usbd4j.sim.InjectedFault}s.
 *
 * <p>Built-in devices, with IDs from the pid.codes test range (vendor 0x1209):
 *
 * <table>
 *   <caption>built-in device models</caption>
 *   <tr><th>VID:PID</th><th>model</th><th>speed</th><th>what it does</th></tr>
 *   <tr><td>1209:0001</td><td>{@link io.github.usbd4j.sim.LoopbackDevice}</td><td>full or high</td>
 *       <td>vendor iso OUT 0x01 / IN 0x81 and bulk 0x02 / 0x82 loopback</td></tr>
 *   <tr><td>1209:0002</td><td>{@link io.github.usbd4j.sim.Uac1Speaker}</td><td>full</td>
 *       <td>UAC1 44.1/48 kHz 16-bit stereo sink with mute and volume, records what it receives</td></tr>
 *   <tr><td>1209:0003</td><td>{@link io.github.usbd4j.sim.Uac1Microphone}</td><td>full</td>
 *       <td>UAC1 48 kHz 16-bit mono source, deterministic sawtooth</td></tr>
 *   <tr><td>1209:0004</td><td>{@link io.github.usbd4j.sim.UvcCamera}</td><td>high</td>
 *       <td>UVC 1.0 YUY2 160 × 120 over high-bandwidth iso IN</td></tr>
 *   <tr><td>1209:0005..000E</td><td colspan="3">reserved for future built-in models</td></tr>
 *   <tr><td>1209:000F</td><td colspan="3">reserved for tests' own models</td></tr>
 * </table>
 *
 * <p>The configuration descriptors of the built-in models are written by a package-private helper that
 * stands in for {@code io.github.usbd4j.descriptor.ConfigurationBuilder}.
 */
package io.github.usbd4j.sim;
