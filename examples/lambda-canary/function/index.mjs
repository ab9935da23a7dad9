// The lambda-canary function. The pipeline uploads this folder as the function's code.
export const handler = async (event) => {
  return {
    statusCode: 200,
    body: JSON.stringify({ message: "Hello from lambda-canary" }),
  };
};
