-- Argo CD health check for platform.girok.dev/GirokPlatform, keyed on Ready and observedGeneration:
-- a status written for an older generation says nothing about the spec now in Git.
local hs = { status = "Progressing", message = "Waiting for the operator to observe this generation" }
if obj.status == nil or obj.metadata == nil then
  return hs
end
if obj.status.observedGeneration == nil or obj.status.observedGeneration ~= obj.metadata.generation then
  return hs
end
local ready, degraded = nil, nil
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" then ready = c end
  if c.type == "Degraded" then degraded = c end
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "Ready" }
end
if degraded ~= nil and degraded.status == "True" then
  return { status = "Degraded", message = degraded.message or "Degraded" }
end
if ready ~= nil then
  hs.message = ready.message or hs.message
end
return hs
