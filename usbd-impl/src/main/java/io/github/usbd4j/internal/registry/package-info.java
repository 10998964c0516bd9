/**
 * The registry keys of the runtime (not API): one store with the registry's rules (value names ignore case),
 * behind both USBD's {@code OpenClientRegistryKey} and the device manager's keys, so that a value reads the
 * same through either. It knows neither.
 */
package io.github.usbd4j.internal.registry;
