import { DividendDeclarationsController } from './dividend-declarations.controller';
import { PayoutsController } from './payouts.controller';
import { ProjectIncomeController } from './project-income.controller';

/** The dividend controllers (issue 5), registered together in ApiModule. */
export const DIVIDEND_CONTROLLERS = [ProjectIncomeController, DividendDeclarationsController, PayoutsController];
