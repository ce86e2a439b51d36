// Overlay mounts and their limits: short lower-dir links, the option string, the kernel check.
export { overlayLowerOption, dropLayerLink, pruneDanglingLinks, linkName, MAX_LOWER_LAYERS } from './overlay-links';
export { overlayMountData, OVERLAY_OPTIONS_MAX, FAITHFUL_DIFF_OPTIONS, type OverlayDirs } from './overlay-options';
export { checkOverlaySupport } from './overlay-check';
