// Imported first by extension.ts, so that this runs before the rest of the bundle loads: the
// extension logs how long loading and activating took (VS Code counts both as its own time).
export const loadStart = performance.now();
