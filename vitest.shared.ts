/**
 * Resolution every project's vitest config spreads in. Test files run in Vite's server-side environment, which
 * ignores `resolve.conditions` and takes its own from `ssr.resolve`: without both, an import of another workspace
 * package would load that package's possibly stale `dist` instead of its sources.
 */
export const workspaceSources = {
  resolve: { conditions: ['@stowage/source'] },
  ssr: { resolve: { conditions: ['@stowage/source'], externalConditions: ['@stowage/source'] } },
};
