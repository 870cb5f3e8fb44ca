// The dashboard's page addresses, in one place (the server's routes are in relay/urls.py).

export const pageUrls = {
  datasets: () => "/",
  dataset: (datasetId) => `/datasets/${datasetId}`,
  editDataset: (datasetId) => `/datasets/${datasetId}/edit`,
  train: (datasetId) => `/datasets/${datasetId}/train`,
  trainingJob: (jobId) => `/training/${jobId}`,
  trainingErrors: (jobId) => `/training/${jobId}/errors`,
  models: () => "/models/",
  model: (modelId) => `/models/${modelId}`,
  compareModels: (first, second) => `/models/compare?a=${first}&b=${second}`,
  inferenceJobs: () => "/inference/",
  inferenceJob: (jobId) => `/inference/${jobId}`,
  label: (datasetId, setId, { audioId, timeMs } = {}) => {
    const params = new URLSearchParams();
    if (audioId) params.set("audio", audioId);
    if (timeMs !== undefined && timeMs !== null) params.set("t", String(Math.round(timeMs)));
    const query = params.toString();
    return `/datasets/${datasetId}/annotation-sets/${setId}/label${query ? `?${query}` : ""}`;
  },
};
