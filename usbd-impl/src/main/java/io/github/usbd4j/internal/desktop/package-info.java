/**
 * What the WinUSB and WDM personalities share over the engine (not API): pooled packet batches under the
 * desktop start-frame rule and {@code USBD_STATUS} translation.
 */
package io.github.usbd4j.internal.desktop;
