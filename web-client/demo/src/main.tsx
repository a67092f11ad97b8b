import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { StreamProvider } from '../../src/react/index.ts';
import { App } from './App.tsx';
import { manager, queryClient } from './setup.ts';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <StreamProvider manager={manager}>
        <App />
      </StreamProvider>
    </QueryClientProvider>
  </StrictMode>,
);
