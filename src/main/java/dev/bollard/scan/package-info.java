/**
 * Vulnerability scanning: the indexer ({@code scan.index}) turns an image's layers into an {@link
 * dev.bollard.scan.Inventory}; the vulnerability store and matcher ({@code scan.vuln}) turn an inventory into
 * findings. The records here are the seam between them.
 */
package dev.bollard.scan;
